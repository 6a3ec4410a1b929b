"""Migration 0022 on a database that already holds reports (from 0021): every row kept as it
was, a summary may then be frozen as its content alone (sections, figures, hash) while a
product still needs its HTML, and the way back down is refused while such a summary exists;
on both stores."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import SQLModel

from states.clock import FakeClock
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import audits, report_store
from states.services.deps import Deps
from states.services.report_store import html_hash
from tests.conftest import START
from tests.support.migrations import migrate_to
from tests.support.partnership import email, seed_partnership

HTML = "<!DOCTYPE html><html><body><h1>Summary</h1></body></html>"
FIGURES = '{"reference": "x"}'


def _audit(engine: Engine, catalogue: Catalogue) -> tuple[Deps, str]:
    deps = Deps(uow=UnitOfWorkFactory(engine), catalogue=catalogue, clock=FakeClock(START))
    seed_partnership(deps)
    reference = audits.start_audit(
        deps, audit_type="mace", theme="Old", lead=email("chair"), actor=email("coordinator")
    ).reference
    return deps, reference


def _report(engine: Engine, reference: str, **columns: object) -> None:
    """A report row of the audit, frozen unless told otherwise."""
    values: dict[str, object] = {
        "kind": "summary",
        "version": 1,
        "status": "frozen",
        "narrative": "{}",
        "figures": None,
        "content_hash": "0" * 64,
        "html": None,
        "frozen_at": START,
        "updated_at": START,
        "agency_key": 0,
    } | columns
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO report (audit_id, kind, agency_key, version, status, narrative, "
                "figures, content_hash, html, updated_at, updated_by, frozen_at, frozen_by) "
                "SELECT a.id, :kind, :agency_key, :version, :status, :narrative, :figures, "
                ":content_hash, :html, :updated_at, a.lead_id, :frozen_at, a.lead_id "
                "FROM audit_cycle a WHERE a.reference = :reference"
            ),
            values | {"reference": reference},
        )


def test_reports_kept_and_a_summary_may_be_frozen_as_its_content(
    bare: Engine, catalogue: Catalogue
) -> None:
    migrate_to(bare, "0021")
    deps, reference = _audit(bare, catalogue)
    # What 0021 could hold: a summary frozen with its HTML, and a draft of the next version.
    _report(bare, reference, html=HTML, content_hash=html_hash(HTML))
    _report(bare, reference, version=2, status="draft", content_hash=None, frozen_at=None)
    with pytest.raises(IntegrityError):  # 0021 refuses a summary frozen as its content
        _report(bare, reference, kind="briefing", figures=FIGURES)
    migrate_to(bare, "head")

    kept = report_store.list_reports(deps, audit=reference)
    assert [(r.version, r.status, r.html, r.intact) for r in kept] == [
        (1, "frozen", HTML, True),
        (2, "draft", None, False),
    ]
    with bare.connect() as c:
        assert compare_metadata(MigrationContext.configure(c), SQLModel.metadata) == []
    _report(bare, reference, version=3, figures=FIGURES)  # content alone: now accepted
    for refused in (
        {"kind": "briefing", "version": 1, "figures": FIGURES},  # a product needs its HTML
        {"version": 4},  # a summary needs its figures, or its HTML
        {"version": 5, "figures": FIGURES, "content_hash": None},  # and always its hash
    ):
        with pytest.raises(IntegrityError):
            _report(bare, reference, **refused)
    # The guard of 0008 still holds on the rebuilt definition.
    with pytest.raises(DBAPIError, match="frozen report cannot be changed"), bare.begin() as c:
        c.execute(text("UPDATE report SET narrative = 'x' WHERE version = 3"))

    version = text("SELECT version_num FROM alembic_version")
    with bare.connect() as c:
        head = c.execute(version).scalar_one()
    with pytest.raises(RuntimeError, match="stays at 0022"):
        migrate_to(bare, "0021", down=True)
    with bare.connect() as c:  # the way down is one transaction: no step of it is kept
        assert c.execute(version).scalar_one() == head


def test_down_to_0021_and_up_again_without_such_a_summary(
    bare: Engine, catalogue: Catalogue
) -> None:
    migrate_to(bare, "head")
    _, reference = _audit(bare, catalogue)
    _report(bare, reference, html=HTML, content_hash=html_hash(HTML))
    migrate_to(bare, "0021", down=True)
    with pytest.raises(IntegrityError):
        _report(bare, reference, version=2, figures=FIGURES)
    migrate_to(bare, "head")
    _report(bare, reference, version=2, figures=FIGURES)
