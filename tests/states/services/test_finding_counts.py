"""An audit's finding counts per agency and question: counted once per version of the audit,
counted again after any write that changes it, kept apart per database and few in number."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select

from states.clock import FakeClock
from states.persistence import tables as t
from states.persistence.db import make_engine
from states.persistence.migrate import upgrade
from states.persistence.store import AuditRow, AuditStore
from states.persistence.uow import UnitOfWorkFactory
from states.services import finding_counts as counting
from states.services import findings, returns
from states.services.deps import Deps
from states.services.finding_counts import Count, finding_counts
from tests.support.driver import drive
from tests.support.partnership import email


@pytest.fixture
def reference(partnership: Deps, clock: FakeClock) -> str:
    return drive(partnership, "mace", "moderation", theme="Counts").reference


def _counts(deps: Deps, reference: str) -> tuple[Count, ...]:
    with deps.uow(readonly=True) as uow:
        return finding_counts(uow.connection, AuditStore(uow.connection).load_audit(reference))


def _row(deps: Deps, reference: str) -> AuditRow:
    with deps.uow(readonly=True) as uow:
        return AuditStore(uow.connection).load_audit(reference)


@contextmanager
def _counting(engine: Engine) -> Iterator[list[str]]:
    """The counting statements run meanwhile (those that read every finding)."""
    said: list[str] = []

    def heard(*args: object) -> None:
        if "count(finding.moderated_at)" in str(args[2]):
            said.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", heard)
    try:
        yield said
    finally:
        event.remove(engine, "before_cursor_execute", heard)


def test_counts_per_agency_and_question_match_the_findings(
    partnership: Deps, reference: str
) -> None:
    counts = _counts(partnership, reference)
    f, r = t.finding, t.audit_return
    with partnership.uow(readonly=True) as uow:
        expected = {
            (agency, question): total
            for agency, question, total in uow.connection.execute(
                select(r.c.agency_id, f.c.question_id, func.count())
                .join(r, r.c.id == f.c.return_id)
                .where(r.c.audit_id == _row(partnership, reference).id)
                .group_by(r.c.agency_id, f.c.question_id)
            )
        }
    assert {(c.agency_id, c.question_id): c.total for c in counts} == expected
    assert len({c.agency_id for c in counts}) == 3 and not any(c.moderated for c in counts)


def test_counted_once_per_version_and_again_after_a_change(
    partnership: Deps, reference: str, engine: Engine
) -> None:
    deps = partnership
    before = _counts(deps, reference)
    with _counting(engine) as said:
        assert _counts(deps, reference) is before
    assert said == []
    first = findings.list_findings(deps, audit=reference)[0]
    findings.moderate(deps, audit=reference, actor=email("chair"), finding_id=first.id)
    with _counting(engine) as said:
        after = _counts(deps, reference)
    assert len(said) == 1
    changed = next(c for c in after if c.question_id == first.question_id and c.moderated)
    assert changed.moderated == 1 and sum(c.moderated for c in after) == 1


def test_a_reopened_return_takes_its_findings_out_of_the_counts(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    driver = drive(deps, "section_11", "returns_open", theme="Reopened")
    reference = driver.reference
    driver.collect_returns()
    before = sum(c.total for c in _counts(deps, reference))
    returns.reopen(
        deps, audit=reference, actor=email("coordinator"), agency="police", reason="Missing"
    )
    after = _counts(deps, reference)
    police = _agency_id(deps, "police")
    assert before > sum(c.total for c in after) and police not in {c.agency_id for c in after}


def _agency_id(deps: Deps, code: str) -> int:
    with deps.uow(readonly=True) as uow:
        found = uow.connection.execute(select(t.agency.c.id).where(t.agency.c.code == code))
        return int(found.scalar_one())


def test_each_database_keeps_its_own_counts(
    partnership: Deps, reference: str, tmp_path: Path
) -> None:
    """Another database's audit of the same id and version is another audit."""
    row = _row(partnership, reference)
    ours = _counts(partnership, reference)
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        upgrade(other)
        with UnitOfWorkFactory(other)(readonly=True) as uow:
            assert finding_counts(uow.connection, row) == ()  # no such audit's findings there
    finally:
        other.dispose()
    assert _counts(partnership, reference) is ours


def test_only_so_many_audits_are_kept(
    partnership: Deps, reference: str, monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    deps = partnership
    monkeypatch.setattr(counting, "KEPT", 1)
    _counts(deps, reference)
    other = drive(deps, "mace", "moderation", theme="Another").reference
    _counts(deps, other)  # the first audit's counts make way
    with _counting(engine) as said:
        _counts(deps, reference)
    assert len(said) == 1
