"""Migration 0023 on a database that already holds findings (from 0022): the findings' index on
their return becomes one on return and question, one on question and audit is added, the
audit's stays, every row is kept; and the way down puts the old index back; on both stores."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from states.clock import FakeClock
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import audits
from states.services.deps import Deps
from tests.conftest import START
from tests.support.migrations import migrate_to
from tests.support.partnership import email, seed_partnership


def _indexes(engine: Engine) -> dict[str, list[str | None]]:
    return {
        str(index["name"]): list(index["column_names"])
        for index in inspect(engine).get_indexes("finding")
    }


def _findings(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text("SELECT * FROM finding ORDER BY id"))]


def test_the_findings_indexes_change_and_every_finding_stays(
    bare: Engine, catalogue: Catalogue
) -> None:
    migrate_to(bare, "0022")
    deps = Deps(uow=UnitOfWorkFactory(bare), catalogue=catalogue, clock=FakeClock(START))
    seed_partnership(deps)
    audits.start_audit(
        deps, audit_type="mace", theme="Old", lead=email("chair"), actor=email("coordinator")
    )
    with bare.begin() as c:
        c.execute(
            text(
                "INSERT INTO finding (audit_id, kind, summary) "
                "SELECT id, 'gap', 'Seen across cases' FROM audit_cycle"
            )
        )
    before = _findings(bare)
    assert _indexes(bare)["ix_finding_return_id"] == ["return_id"]

    migrate_to(bare, "0023")
    after = _indexes(bare)
    assert after["ix_finding_return_question"] == ["return_id", "question_id"]
    assert after["ix_finding_question_audit"] == ["question_id", "audit_id"]
    assert after["ix_finding_audit_id"] == ["audit_id"] and "ix_finding_return_id" not in after
    assert _findings(bare) == before

    migrate_to(bare, "0022", down=True)
    assert _indexes(bare) == {
        "ix_finding_audit_id": ["audit_id"],
        "ix_finding_return_id": ["return_id"],
    }
    assert _findings(bare) == before
