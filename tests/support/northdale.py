"""Northdale: an invented partnership set up as a new one would be (``oscp init``, then its
directory imported from a workbook), for the tests that use supported commands only. Every
name is invented ("Setting 017"), every address at a reserved domain.

Also where such a partnership keeps its database: SQLite in its home, or a PostgreSQL schema
of its own (``database_url``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from states.rules.directory import (
    AgencyEntry,
    AgencyKind,
    BodyEntry,
    BodyKind,
    Directory,
    PersonEntry,
    Phase,
    SettingEntry,
)

DOMAIN = "northdale.example"
BASE = "https://audits.northdale.example"
COORDINATOR = f"pat.fenwick@{DOMAIN}"
PASSWORD = "a long pass phrase for the first coordinator"
CHAIR = f"chair@{DOMAIN}"
KINDS = (
    AgencyKind.LOCAL_AUTHORITY,
    AgencyKind.POLICE,
    AgencyKind.INTEGRATED_CARE_BOARD,
    AgencyKind.HEALTH_TRUST,
    AgencyKind.HEALTH_TRUST,
    AgencyKind.HEALTH_SERVICE,
    AgencyKind.JUSTICE,
    AgencyKind.HOUSING,
    AgencyKind.VOLUNTARY_SECTOR,
    AgencyKind.VOLUNTARY_SECTOR,
    AgencyKind.OTHER,
    AgencyKind.LOCAL_AUTHORITY,
)
SETTING_LEADS = 40  # settings 001-040 have a named lead; 60 people cannot lead all 90


def person(local: str, name: str, agency: str | None, *roles: str) -> PersonEntry:
    return PersonEntry(f"{local}@{DOMAIN}", name, agency, frozenset(roles))


def directory() -> Directory:
    """12 agencies, 90 settings, 60 people and 4 bodies, every name invented."""
    agencies = {
        f"a{n:02d}": AgencyEntry(f"a{n:02d}", f"Agency {n:02d}", kind)
        for n, kind in enumerate(KINDS, start=1)
    }
    settings = {
        f"{100000 + n}": SettingEntry(
            f"{100000 + n}",
            f"s{n:03d}",
            f"Setting {n:03d}",
            AgencyKind.EARLY_YEARS if n > 80 else AgencyKind.SCHOOL,
            Phase.EARLY_YEARS if n > 80 else (Phase.PRIMARY if n % 3 else Phase.SECONDARY),
        )
        for n in range(1, 91)
    }
    people = [person("lead.a01", "Lead A01", "a01", "agency_lead", "coordinator")]
    people += [
        person(f"lead.a{n:02d}", f"Lead A{n:02d}", f"a{n:02d}", "agency_lead") for n in range(2, 13)
    ]
    people += [
        person(f"lead.s{n:03d}", f"Lead S{n:03d}", f"s{n:03d}", "agency_lead")
        for n in range(1, SETTING_LEADS + 1)
    ]
    people += [person("chair", "Chair One", None, "chair", "learning_hub_member")]
    people += [
        person(f"hub{n}", f"Hub Member {n}", None, "learning_hub_member") for n in range(1, 4)
    ]
    people += [
        person(
            f"lsp.a{n:02d}", f"Partner A{n:02d}", f"a{n:02d}", "statutory_partner", "strategic_lead"
        )
        for n in range(1, 4)
    ]
    people += [
        person(f"auditor{n}", f"Auditor {n}", f"a{n + 3:02d}", "auditor") for n in range(1, 3)
    ]
    return Directory(agencies, settings, {p.email: p for p in people}, _bodies())


def _bodies() -> dict[str, BodyEntry]:
    hub = frozenset({CHAIR, *(f"hub{n}@{DOMAIN}" for n in range(1, 4))})
    partners = frozenset(f"lsp.a{n:02d}@{DOMAIN}" for n in range(1, 4))
    return {
        "hub": BodyEntry("hub", "Learning hub", BodyKind.LEARNING_HUB, hub),
        "lsp": BodyEntry("lsp", "Statutory partners", BodyKind.STATUTORY_PARTNERS, partners),
        "perf": BodyEntry(
            "perf", "Performance group", BodyKind.PERFORMANCE_GROUP, frozenset({CHAIR, COORDINATOR})
        ),
        "edu": BodyEntry(
            "edu",
            "Education subgroup",
            BodyKind.SUBGROUP,
            frozenset(f"lead.s{n:03d}@{DOMAIN}" for n in range(1, 6)),
        ),
    }


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    """The URL of an empty PostgreSQL schema of its own on ``base``'s database, dropped
    afterwards: a new partnership's database, as ``oscp init --database-url`` takes it."""
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def database(store: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Where a new partnership keeps its data on ``store``: ``None`` for SQLite in its home
    (``oscp init``'s default), else an empty PostgreSQL schema of its own."""
    if store == "sqlite":
        yield None
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
