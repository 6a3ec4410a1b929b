"""A fictional demonstration partnership: the real kinds of partner, invented people.

Addresses are on the reserved ``example.org`` domain; no real practitioner or child appears.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from sqlalchemy import select

from states.persistence import tables
from states.rules.directory import AgencyKind, BodyKind
from states.services import partnership
from states.services.credentials import set_password
from states.services.deps import Deps

AGENCIES: tuple[tuple[str, str, AgencyKind], ...] = (
    ("council", "Oldham Council", AgencyKind.LOCAL_AUTHORITY),
    ("police", "Greater Manchester Police (Oldham district)", AgencyKind.POLICE),
    ("icb", "NHS Greater Manchester Integrated Care Board", AgencyKind.INTEGRATED_CARE_BOARD),
    ("csc", "Children's Social Care", AgencyKind.LOCAL_AUTHORITY),
    ("acute", "Acute hospital trust", AgencyKind.HEALTH_TRUST),
    ("community_health", "Community health services", AgencyKind.HEALTH_SERVICE),
    ("camhs", "Child and adolescent mental health services", AgencyKind.HEALTH_SERVICE),
    ("yjs", "Youth Justice Service", AgencyKind.LOCAL_AUTHORITY),
    ("probation", "Probation Service", AgencyKind.JUSTICE),
    ("early_help", "Early Help", AgencyKind.LOCAL_AUTHORITY),
    # One agency each for all schools and colleges and all early years settings, whose leads
    # answer for them in the demo; a partnership's own directory lists each setting with its
    # URN (``oscp directory add setting``).
    ("schools", "Schools and colleges", AgencyKind.OTHER),
    ("early_years", "Early years settings", AgencyKind.OTHER),
    ("housing", "Housing provider", AgencyKind.HOUSING),
    ("vcs", "Voluntary and community sector", AgencyKind.VOLUNTARY_SECTOR),
)

# The stand-ins for schools and settings above, each with its lead's e-mail local part: early
# years has none, so a Section 175 audit cannot ask it for its return and says so (a
# rehearsal has the coordinator enter the return for it).
SETTINGS: Mapping[str, str | None] = MappingProxyType(
    {"schools": "lead.schools", "early_years": None}
)

# (name, e-mail local part, agency code, roles)
PEOPLE: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    ("Robin Ashworth", "coordinator", None, ("coordinator",)),
    ("Sam Greenfield", "chair", None, ("learning_hub_member",)),
    ("Alex Moorcroft", "lhm", None, ("learning_hub_member",)),
    ("Jordan Pennine", "lsp.council", "council", ("statutory_partner", "strategic_lead")),
    ("Taylor Holt", "lsp.police", "police", ("statutory_partner", "strategic_lead")),
    ("Morgan Lees", "lsp.health", "icb", ("statutory_partner", "strategic_lead")),
    ("Casey Whitworth", "lead.police", "police", ("agency_lead",)),
    ("Jamie Buckley", "lead.csc", "csc", ("agency_lead",)),
    ("Riley Crompton", "lead.health", "community_health", ("agency_lead",)),
    ("Avery Dunham", "lead.schools", "schools", ("agency_lead",)),
    ("Quinn Halliwell", "auditor.one", "csc", ("auditor",)),
    ("Drew Saddleworth", "auditor.two", "community_health", ("auditor",)),
    ("OSCP engine", "system", None, ("system",)),
)

# (code, name, kind, members' e-mail local parts): the bodies that sign off and decide.
BODIES: tuple[tuple[str, str, BodyKind, tuple[str, ...]], ...] = (
    ("learning_hub", "OSCP learning hub", BodyKind.LEARNING_HUB, ("coordinator", "chair", "lhm")),
    (
        "statutory_partners",
        "Lead safeguarding partners",
        BodyKind.STATUTORY_PARTNERS,
        ("lsp.council", "lsp.police", "lsp.health"),
    ),
    # The plan sends some deep dives' reports to the performance group (programme report_to).
    (
        "performance_group",
        "OSCP performance group",
        BodyKind.PERFORMANCE_GROUP,
        ("lhm", "lsp.council"),
    ),
)

DOMAIN = "example.org"


def email(local: str) -> str:
    return f"{local}@{DOMAIN}"


def load_demo_partnership(deps: Deps) -> bool:
    """Adds the demo agencies, people and bodies once; returns False when they were already
    there."""
    with deps.uow(readonly=True) as uow:
        present = uow.connection.execute(select(tables.agency.c.id).limit(1)).first()
    if present is not None:
        return False
    for code, name, kind in AGENCIES:
        partnership.add_agency(deps, code=code, name=name, kind=kind)
    for name, local, agency, roles in PEOPLE:
        partnership.add_person(deps, name=name, email=email(local), roles=roles, agency=agency)
    for code, name, body_kind, members in BODIES:
        partnership.add_body(
            deps, code=code, name=name, kind=body_kind, members=[email(m) for m in members]
        )
    return True


# The demo coordinator and chair sign in to the coordinator pages with this password, when
# set, so a newcomer running `oscp up` can see them; never set it on a real partnership.
DEMO_PASSWORD_ENV = "OSCP_DEMO_PASSWORD"  # noqa: S105 (the variable's name, not a password)
SIGNING_IN = ("coordinator", "chair")


def give_demo_passwords(deps: Deps, password: str | None) -> tuple[str, ...]:
    """Sets ``password`` for the demo coordinator and chair; returns their addresses (none
    when no password is given)."""
    if not password:
        return ()
    for local in SIGNING_IN:
        set_password(deps, email=email(local), password=password)
    return tuple(email(local) for local in SIGNING_IN)
