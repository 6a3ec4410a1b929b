"""The tests' own partnership: invented agencies and people, seeded through the engine's
services, so engine tests never depend on the demo's cast (``oscp_flow.rehearsal.demo``).

It has the demo's shape (a coordinator, a chair, a learning hub member, a statutory partner
lead per statutory partner, agency leads, two auditors and the engine's own account, and the
bodies that sign off: the learning hub, the statutory partners, a performance group), and
the same e-mail local parts and agency codes, so a test names people by role —
``email("chair")``, ``person_name("lead.police")`` — and agencies by code. Every name is made up
for the tests, on a fictional place ("Northvale"); addresses are on the reserved
``example.org`` domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from states.definitions.sign_off import SignOffDef
from states.rules.directory import AgencyKind, BodyKind
from states.services import credentials, partnership
from states.services.deps import Deps

DOMAIN = "example.org"


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    kind: AgencyKind


@dataclass(frozen=True)
class Person:
    local: str  # the e-mail address's local part, which tests use to name the person
    name: str
    agency: str | None
    roles: tuple[str, ...]


AGENCIES: tuple[Agency, ...] = (
    Agency("council", "Northvale Council", AgencyKind.LOCAL_AUTHORITY),
    Agency("police", "Northvale Police", AgencyKind.POLICE),
    Agency("icb", "Northvale Integrated Care Board", AgencyKind.INTEGRATED_CARE_BOARD),
    Agency("csc", "Northvale Children's Social Care", AgencyKind.LOCAL_AUTHORITY),
    Agency("acute", "Northvale Hospitals Trust", AgencyKind.HEALTH_TRUST),
    Agency("community_health", "Northvale Community Health", AgencyKind.HEALTH_SERVICE),
    Agency("camhs", "Northvale CAMHS", AgencyKind.HEALTH_SERVICE),
    Agency("yjs", "Northvale Youth Justice", AgencyKind.LOCAL_AUTHORITY),
    Agency("probation", "Northvale Probation", AgencyKind.JUSTICE),
    Agency("early_help", "Northvale Early Help", AgencyKind.LOCAL_AUTHORITY),
    # One agency each for all schools and all early years settings, whose leads answer for
    # them (a setting of its own would be a school or early years setting with its URN).
    Agency("schools", "Northvale Schools", AgencyKind.OTHER),
    Agency("early_years", "Northvale Early Years", AgencyKind.OTHER),
    Agency("housing", "Northvale Homes", AgencyKind.HOUSING),
    Agency("vcs", "Northvale Voluntary Action", AgencyKind.VOLUNTARY_SECTOR),
)

PEOPLE: tuple[Person, ...] = (
    Person("coordinator", "Kit Farrow", None, ("coordinator",)),
    Person("chair", "Lee Marsden", None, ("learning_hub_member",)),
    Person("lhm", "Nat Brierley", None, ("learning_hub_member",)),
    Person("lsp.council", "Ari Thornley", "council", ("statutory_partner", "strategic_lead")),
    Person("lsp.police", "Jess Calloway", "police", ("statutory_partner", "strategic_lead")),
    Person("lsp.health", "Remi Oakden", "icb", ("statutory_partner", "strategic_lead")),
    Person("lead.police", "Sol Bramwell", "police", ("agency_lead",)),
    Person("lead.csc", "Mo Hartigan", "csc", ("agency_lead",)),
    Person("lead.health", "Pat Linford", "community_health", ("agency_lead",)),
    Person("lead.schools", "Vic Ellerby", "schools", ("agency_lead",)),
    Person("auditor.one", "Jules Penrose", "csc", ("auditor",)),
    Person("auditor.two", "Ash Wetherby", "community_health", ("auditor",)),
    Person("system", "Audit engine", None, ("system",)),
)


@dataclass(frozen=True)
class Body:
    code: str
    name: str
    kind: BodyKind
    members: tuple[str, ...]  # e-mail local parts


# The bodies that sign off: the learning hub (its chair chairs the driven audits, so only the
# other member's decision counts there), the three statutory partners' leads, and a
# performance group that programme entries may report to instead.
BODIES: tuple[Body, ...] = (
    Body("nv_hub", "Northvale Learning Hub", BodyKind.LEARNING_HUB, ("chair", "lhm")),
    Body(
        "nv_lsp",
        "Northvale Safeguarding Partners",
        BodyKind.STATUTORY_PARTNERS,
        ("lsp.council", "lsp.police", "lsp.health"),
    ),
    Body(
        "nv_perf", "Northvale Performance Group", BodyKind.PERFORMANCE_GROUP, ("lhm", "lsp.council")
    ),
)

_BY_LOCAL = {p.local: p for p in PEOPLE}


def approvers(rule: SignOffDef | None, *, author: str = "chair") -> tuple[str, ...]:
    """Who approves to reach ``rule``'s quorum of every body it names: each body's first
    members (never the author), each person once. A rule naming roles (audits started before
    bodies) takes a learning hub member and a statutory partner, as it always did."""
    if rule is None:
        return ()
    if rule.bodies is None:
        return ("lhm", "lsp.police")
    chosen: list[str] = []
    for wanted in rule.bodies:
        body = next(b for b in BODIES if b.kind is wanted.kind)
        chosen += [m for m in body.members if m != author][: wanted.quorum]
    return tuple(dict.fromkeys(chosen))


_BY_CODE = {a.code: a for a in AGENCIES}
# The people who sign in to the coordinator pages in the tests that need a password.
SIGNING_IN = ("coordinator", "chair")


def email(local: str) -> str:
    """The address of the person known by ``local`` ("chair", "lead.police", ...)."""
    return f"{local}@{DOMAIN}"


def person_name(local: str) -> str:
    """The name the engine shows for the person known by ``local``."""
    return _BY_LOCAL[local].name


def agency_name(code: str) -> str:
    return _BY_CODE[code].name


def seed_partnership(deps: Deps) -> None:
    """Adds the agencies and people to an empty store, as the coordinator's directory would."""
    for agency in AGENCIES:
        partnership.add_agency(deps, code=agency.code, name=agency.name, kind=agency.kind)
    for person in PEOPLE:
        partnership.add_person(
            deps,
            name=person.name,
            email=email(person.local),
            roles=person.roles,
            agency=person.agency,
        )
    for body in BODIES:
        partnership.add_body(
            deps,
            code=body.code,
            name=body.name,
            kind=body.kind,
            members=[email(m) for m in body.members],
        )


def give_passwords(deps: Deps, password: str, people: tuple[str, ...] = SIGNING_IN) -> None:
    """Sets ``password`` for ``people`` (the coordinator and the chair unless named)."""
    for local in people:
        credentials.set_password(deps, email=email(local), password=password)
