# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run demo test lint services browser pdf-tools bench clean

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

test: setup services browser pdf-tools lint
	$(BIN)/pytest

bench: setup services
	$(BIN)/python -m bench.transitions
	$(BIN)/python -m bench.aggregation
	$(BIN)/python -m bench.sweep
	$(BIN)/python -m bench.prefect_overhead
	$(BIN)/python -m bench.report
	$(BIN)/python -m bench.cases_import

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
