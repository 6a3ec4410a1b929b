# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run demo test test-fast lint services browser pdf-tools bench clean
# Pure definitions and rules: no database, no services, no browser; tests/test_layers.py checks
# that every module here stays so.
FAST_TESTS := tests/states/definitions tests/states/rules tests/test_layers.py tests/test_no_internals.py

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/oscp definitions validate
	$(BIN)/oscp up

demo: setup
	$(BIN)/oscp definitions validate
	$(BIN)/oscp demo

services:
	./scripts/services

browser:
	./scripts/browser

pdf-tools:
	./scripts/pdf-tools

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The suite runs on every core (two workers on a two-core machine): most tests wait on a
# database, a browser or a subprocess, so two workers nearly halve the time.
WORKERS ?= auto
test: setup services browser pdf-tools lint
	$(BIN)/pytest -n $(WORKERS) --dist worksteal

test-fast: setup
	$(BIN)/pytest $(FAST_TESTS)

bench: setup services
	$(BIN)/python -m bench.transitions
	$(BIN)/python -m bench.aggregation
	$(BIN)/python -m bench.sweep
	$(BIN)/python -m bench.relay
	$(BIN)/python -m bench.prefect_overhead
	$(BIN)/python -m bench.report
	$(BIN)/python -m bench.report_word
	$(BIN)/python -m bench.cases_import
	$(BIN)/python -m bench.directory
	$(BIN)/python -m bench.moderation
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.approvals
	$(BIN)/python -m bench.year --growth 2,15

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
