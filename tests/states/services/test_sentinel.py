"""Children's data stays where it was typed: a name planted in free text never reaches the
history, notices, moderation views, logs or the command line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select, text

from states.clock import LONDON, FakeClock
from states.persistence import tables as t
from states.persistence.db import make_engine
from states.persistence.migrate import upgrade
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import audits, findings, queries, returns, work
from states.services.deps import Deps
from tests.conftest import DEFINITIONS, START
from tests.support.cli import oscp
from tests.support.driver import Driver, complete_answers
from tests.support.partnership import email, seed_partnership

SENTINEL = "Sentinelchild Zqxname"


def _plant(deps: Deps) -> str:
    """A MACE audit whose free-text answers and concern name a (made-up) child."""
    reference = audits.start_audit(
        deps, audit_type="mace", theme="Neglect", lead=email("chair"), actor=email("coordinator")
    ).reference
    Driver(deps, reference, started_on=START.astimezone(LONDON).date()).advance("returns_open")
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    answers = complete_answers(tool)
    for _, q in tool.questions():
        if q.type == "free_text":
            answers[q.id] = f"Worker spoke with {SENTINEL} at school"
    returns.submit(
        deps,
        audit=reference,
        actor=email("lead.police"),
        agency="police",
        case=f"{reference}-C01",
        answers=answers,
    )
    work.raise_immediate_risk(
        deps,
        audit=reference,
        actor=email("chair"),
        agency="police",
        concern=f"{SENTINEL} was left alone overnight",
    )
    return reference


@pytest.fixture
def planted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> tuple[Deps, str, Path]:
    caplog.set_level(logging.DEBUG)
    engine = make_engine(f"sqlite:///{tmp_path / 'oscp.db'}")
    upgrade(engine)
    deps = Deps(
        uow=UnitOfWorkFactory(engine),
        catalogue=Catalogue.from_directory(DEFINITIONS),
        clock=FakeClock(START),
    )
    seed_partnership(deps)
    return deps, _plant(deps), tmp_path


def test_the_name_stays_in_the_return(
    planted: tuple[Deps, str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    deps, reference, _ = planted
    with deps.uow(readonly=True) as uow:
        stored = uow.connection.execute(select(t.answer.c.value)).scalars().all()
        notices = uow.connection.execute(select(t.outbox)).all()
        finding_rows = uow.connection.execute(select(t.finding)).all()
        events = uow.connection.execute(select(t.event)).all()
    assert any(SENTINEL in v for v in stored), "the planted answers should be stored"
    for where in (notices, finding_rows, events):
        assert SENTINEL not in repr(where)
    views = [
        queries.history(deps, audit=reference),
        queries.audit_status(deps, audit=reference, as_person=email("chair")),
        findings.list_findings(deps, audit=reference),
    ]
    assert SENTINEL not in repr(views)
    logged = caplog.get_records("setup") + caplog.get_records("call")
    assert logged, "logging was captured at DEBUG while the data was written"
    assert not [r for r in logged if SENTINEL in r.getMessage()]


def test_the_name_never_reaches_the_command_line(
    planted: tuple[Deps, str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    _, reference, home = planted
    caplog.set_level(logging.DEBUG)
    for args in (["audit", "show", reference], ["audit", "history", reference], ["audit", "list"]):
        result = oscp(home, *args, actor=email("chair"))
        assert result.exit_code == 0, result.stderr
        assert reference in result.stdout
        assert SENTINEL not in result.stdout + result.stderr
    # What the commands logged, which a process of their own would print or write to a file.
    assert not [r for r in caplog.get_records("call") if SENTINEL in r.getMessage()]


def test_database_errors_do_not_echo_what_was_typed(planted: tuple[Deps, str, Path]) -> None:
    deps, _, _ = planted
    with pytest.raises(Exception) as failure, deps.uow() as uow:
        uow.connection.execute(
            text("INSERT INTO agency (id, code, name, kind) VALUES (1, :code, :name, 'x')"),
            {"code": "x", "name": SENTINEL},
        )
    assert SENTINEL not in str(failure.value)
