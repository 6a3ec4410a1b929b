"""Migration 0015 on a database that already holds a partnership (from 0014): agencies' free
kinds mapped to the kinds of agency, the directory's log generalised with its rows and its
append-only guard kept, and back down again; on both stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from tests.support.migrations import migrate_to

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
# (code, name, kind as 0014 kept it, kind 0015 makes of it)
AGENCIES = (
    ("council", "Northvale Council", "statutory partner", "local_authority"),
    ("police", "Northvale Police", "statutory partner", "police"),
    ("icb", "Northvale Integrated Care Board", "statutory partner", "integrated_care_board"),
    ("csc", "Children's Social Care", "local authority", "local_authority"),
    ("acute", "Hospitals", "health", "health_service"),
    ("probation", "Probation", "justice", "justice"),
    ("schools", "Schools and colleges", "education", "other"),
    ("homes", "Homes", "housing", "housing"),
    ("vcs", "Voluntary sector", "voluntary", "voluntary_sector"),
    ("odd", "Something else", "mystery", "other"),
    ("already", "Already a kind", "health_trust", "health_trust"),
)


def _fill(c: Connection) -> None:
    for code, name, kind, _ in AGENCIES:
        c.execute(
            text("INSERT INTO agency (code, name, kind) VALUES (:code, :name, :kind)"),
            {"code": code, "name": name, "kind": kind},
        )
    for n, email in enumerate(("coordinator@example.org", "lead@example.org"), start=1):
        c.execute(
            text("INSERT INTO person (id, name, email, agency_id) VALUES (:id, :n, :e, NULL)"),
            {"id": n, "n": f"Person {n}", "e": email},
        )
    c.execute(
        text(
            "INSERT INTO directory_change (person_id, change, role, reason, changed_by, "
            "changed_at, links_revoked) VALUES (2, 'role_removed', 'auditor', 'Left', 1, :at, 3)"
        ),
        {"at": AT},
    )


def _refused(engine: Engine, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as c:
        c.execute(text(statement))


def test_upgrade_from_0014_keeps_the_partnership_and_its_log(bare: Engine) -> None:
    migrate_to(bare, "0014")
    with bare.begin() as c:
        _fill(c)
    migrate_to(bare, "head")
    with bare.connect() as c:
        kinds = {row.code: row.kind for row in c.execute(text("SELECT code, kind FROM agency"))}
        assert kinds == {code: new for code, _, _, new in AGENCIES}
        assert c.execute(text("SELECT count(*) FROM agency WHERE active")).scalar_one() == len(
            AGENCIES
        )
        assert (
            c.execute(text("SELECT count(*) FROM agency WHERE urn IS NOT NULL")).scalar_one() == 0
        )
        kept = c.execute(
            text("SELECT subject, person_id, change, role, links_revoked FROM directory_change")
        ).all()
        assert [tuple(row) for row in kept] == [("person", 2, "role_removed", "auditor", 3)]
        assert compare_metadata(MigrationContext.configure(c), SQLModel.metadata) == []
    with bare.begin() as c:
        # A row about an agency names no person: 0014 could not have held it.
        c.execute(
            text(
                "INSERT INTO directory_change (subject, agency_id, change, changed_fields, "
                "reason, changed_by, changed_at, links_revoked) "
                "VALUES ('agency', 1, 'changed', '{}', 'Renamed', 1, :at, 0)"
            ),
            {"at": AT},
        )
    for statement in ("UPDATE directory_change SET reason = 'x'", "DELETE FROM directory_change"):
        _refused(bare, statement)


def test_downgrade_to_0014_keeps_the_peoples_rows_and_the_guard(bare: Engine) -> None:
    migrate_to(bare, "0014")
    with bare.begin() as c:
        _fill(c)
    migrate_to(bare, "head")
    with bare.begin() as c:
        c.execute(text("INSERT INTO body (code, name, kind) VALUES ('hub', 'Hub', 'learning_hub')"))
        c.execute(
            text(
                "INSERT INTO directory_change (subject, body_id, change, reason, changed_by, "
                "changed_at, links_revoked) VALUES ('body', 1, 'added', 'New', 1, :at, 0)"
            ),
            {"at": AT},
        )
    migrate_to(bare, "0014", down=True)
    with bare.connect() as c:
        kept = c.execute(text("SELECT person_id, change FROM directory_change")).all()
        assert [tuple(row) for row in kept] == [(2, "role_removed")]
    _refused(bare, "DELETE FROM directory_change")
    migrate_to(bare, "head")
    _refused(bare, "UPDATE directory_change SET reason = 'x'")
