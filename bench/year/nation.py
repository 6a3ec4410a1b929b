"""The nation's directory: many partnerships' agencies, settings and people in one engine.

Each partnership brings what a real one has: fifteen agencies (its three statutory partners
among them), 147 schools, colleges and early years settings with their URNs, a lead for every
agency and setting, strategic leads at the statutory partners, two chairs from its learning
hub and four auditors. The engine has one team of six coordinators, and its own sign-off
bodies: one learning hub, one statutory partners body and one performance group, each of a
usual size, so a notice or a sign-off request goes to as many people as in one partnership.

Everything goes in as ``oscp directory import`` applies a file (``plan_import`` then
``directory.apply_plan``: the coordinator's permission, every row checked, one log row per
change), from the ``Directory`` the file would have been read into.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from states.definitions.bodies import BodyKind
from states.rules.directory import (
    AgencyEntry,
    AgencyKind,
    BodyEntry,
    Directory,
    Part,
    PersonEntry,
    Phase,
    SettingEntry,
)
from states.rules.directory_plan import plan_import
from states.services import directory, partnership
from states.services.deps import Deps

AGENCY_KINDS = (
    ("council", AgencyKind.LOCAL_AUTHORITY),
    ("police", AgencyKind.POLICE),
    ("icb", AgencyKind.INTEGRATED_CARE_BOARD),
    ("csc", AgencyKind.LOCAL_AUTHORITY),
    ("acute", AgencyKind.HEALTH_TRUST),
    ("community_health", AgencyKind.HEALTH_SERVICE),
    ("camhs", AgencyKind.HEALTH_SERVICE),
    ("yjs", AgencyKind.LOCAL_AUTHORITY),
    ("probation", AgencyKind.JUSTICE),
    ("early_help", AgencyKind.LOCAL_AUTHORITY),
    ("housing", AgencyKind.HOUSING),
    ("vcs", AgencyKind.VOLUNTARY_SECTOR),
    ("ambulance", AgencyKind.HEALTH_SERVICE),
    ("education", AgencyKind.LOCAL_AUTHORITY),
    ("drug_alcohol", AgencyKind.HEALTH_SERVICE),
)
STATUTORY = ("council", "police", "icb")
SETTINGS_EACH = 147
SETTING_KINDS = (
    (AgencyKind.SCHOOL, Phase.PRIMARY),
    (AgencyKind.SCHOOL, Phase.PRIMARY),
    (AgencyKind.SCHOOL, Phase.SECONDARY),
    (AgencyKind.EARLY_YEARS, Phase.EARLY_YEARS),
    (AgencyKind.COLLEGE, Phase.POST_16),
)
AUDITORS_EACH = 4
# One engine has one coordinating team, whoever's audits it runs: every coordinator is told
# of every audit (the engine's notices to "the coordinator" go to each person in that role),
# so a coordinator for each of 150 partnerships would multiply every notice by 150.
COORDINATORS = 6
OPERATOR = "operator@nation.example.org"


def mail(local: str) -> str:
    return f"{local}@nation.example.org"


@dataclass(frozen=True)
class Partnership:
    """One partnership's keys in the nation's directory."""

    number: int

    @property
    def prefix(self) -> str:
        return f"p{self.number:03d}"

    def agency(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    @property
    def agencies(self) -> tuple[str, ...]:
        return tuple(self.agency(name) for name, _ in AGENCY_KINDS)

    @property
    def settings(self) -> tuple[str, ...]:
        return tuple(f"{self.prefix}_s{i:03d}" for i in range(SETTINGS_EACH))

    def lead(self, agency: str) -> str:
        return mail(f"lead.{agency}")

    def strategic(self, agency: str) -> str:
        return mail(f"strategic.{agency}")

    @property
    def coordinator(self) -> str:
        return coordinators()[self.number % COORDINATORS]

    @property
    def chairs(self) -> tuple[str, str]:
        return mail(f"chair1.{self.prefix}"), mail(f"chair2.{self.prefix}")

    @property
    def auditors(self) -> tuple[str, ...]:
        return tuple(mail(f"auditor{n}.{self.prefix}") for n in range(AUDITORS_EACH))


def coordinators() -> tuple[str, ...]:
    return tuple(mail(f"coordinator{n}") for n in range(COORDINATORS))


def _agencies(p: Partnership) -> Iterator[AgencyEntry]:
    for name, kind in AGENCY_KINDS:
        yield AgencyEntry(p.agency(name), f"Partnership {p.number} {name.replace('_', ' ')}", kind)


def _settings(p: Partnership) -> Iterator[SettingEntry]:
    for i, code in enumerate(p.settings):
        kind, phase = SETTING_KINDS[i % len(SETTING_KINDS)]
        urn = str(100_000 + p.number * 1_000 + i)
        yield SettingEntry(urn, code, f"Setting {i} of partnership {p.number}", kind, phase)


def _people(p: Partnership) -> Iterator[PersonEntry]:
    def person(email: str, name: str, agency: str | None, *roles: str) -> PersonEntry:
        return PersonEntry(email, name, agency, frozenset(roles))

    for code in p.agencies:
        yield person(p.lead(code), f"Lead of {code}", code, "agency_lead")
    for name in STATUTORY:
        code = p.agency(name)
        yield person(p.strategic(code), f"Strategic lead of {code}", code, "strategic_lead")
    for code in p.settings:
        yield person(p.lead(code), f"Safeguarding lead of {code}", code, "agency_lead")
    for n, chair in enumerate(p.chairs):
        yield person(chair, f"Chair {n} of {p.number}", None, "learning_hub_member")
    for n, auditor in enumerate(p.auditors):
        agency = p.agency(("csc", "community_health", "police", "education")[n])
        yield person(auditor, f"Auditor {n} of {p.number}", agency, "auditor")


def bodies(first: Partnership) -> Iterator[tuple[BodyEntry, tuple[PersonEntry, ...]]]:
    """The engine's sign-off bodies and their members who are not in a partnership's rows."""
    hub = tuple(
        PersonEntry(mail(f"hub{n}"), f"Hub member {n}", None, frozenset({"learning_hub_member"}))
        for n in range(6)
    )
    yield (
        BodyEntry("hub", "Learning hub", BodyKind.LEARNING_HUB, frozenset(m.email for m in hub)),
        hub,
    )
    partners = tuple(
        PersonEntry(
            mail(f"partner.{name}"),
            f"Statutory partner lead ({name})",
            first.agency(name),
            frozenset({"statutory_partner"}),
        )
        for name in STATUTORY
    )
    yield (
        BodyEntry(
            "ssp",
            "Statutory partners",
            BodyKind.STATUTORY_PARTNERS,
            frozenset(m.email for m in partners),
        ),
        partners,
    )
    group = frozenset({hub[0].email, hub[1].email, partners[0].email})
    yield BodyEntry("perf", "Performance group", BodyKind.PERFORMANCE_GROUP, group), ()


def national(partnerships: int) -> Directory:
    """The directory of ``partnerships`` partnerships' worth of agencies, settings and people."""
    found = Directory()
    for number in range(partnerships):
        p = Partnership(number)
        found.agencies.update((a.code, a) for a in _agencies(p))
        found.settings.update((s.urn, s) for s in _settings(p))
        found.people.update((person.email, person) for person in _people(p))
    for n, email in enumerate(coordinators()):
        found.people[email] = PersonEntry(
            email, f"Coordinator {n}", None, frozenset({"coordinator"})
        )
    for body, members in bodies(Partnership(0)):
        found.bodies[body.code] = body
        found.people.update((m.email, m) for m in members)
    return found


def load_nation(deps: Deps, partnerships: int) -> Directory:
    """The operator's account, then the directory, imported in one change as a file would be."""
    partnership.add_person(deps, name="Nation operator", email=OPERATOR, roles=["coordinator"])
    incoming = national(partnerships)
    current = directory.snapshot(deps, viewer=OPERATOR)
    plan = plan_import(current, incoming, set(Part))
    directory.apply_plan(deps, plan=plan, actor=OPERATOR, reason="The nation's directory")
    return incoming
