"""The partnership's directory as plain values: the kinds of agency and setting, the bodies
that decide, and one entry per agency, setting, person and body.

These are what an import file is read into and what the store's directory is compared with,
so a re-import can say, before anything is stored, what it would add, change or deactivate.
Nothing here touches the database: ``states.services.directory`` reads and writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# Re-exported: declared with the definitions, which name bodies by kind in their sign-off rule.
from states.definitions.bodies import BodyKind as BodyKind  # noqa: PLC0414


class AgencyKind(StrEnum):
    """What an agency (or setting) is. The three statutory partners share the duty to make
    safeguarding arrangements; schools, colleges and early years settings are the settings a
    Section 175 self-assessment goes to."""

    LOCAL_AUTHORITY = "local_authority"
    POLICE = "police"
    INTEGRATED_CARE_BOARD = "integrated_care_board"
    HEALTH_TRUST = "health_trust"
    HEALTH_SERVICE = "health_service"
    SCHOOL = "school"
    COLLEGE = "college"
    EARLY_YEARS = "early_years"
    JUSTICE = "justice"
    HOUSING = "housing"
    VOLUNTARY_SECTOR = "voluntary_sector"
    OTHER = "other"


STATUTORY_PARTNER_KINDS = frozenset(
    {AgencyKind.LOCAL_AUTHORITY, AgencyKind.POLICE, AgencyKind.INTEGRATED_CARE_BOARD}
)
# Education and early years settings: each is identified by its DfE URN (Ofsted URN for early
# years), which is how a re-import finds it again.
SETTING_KINDS = frozenset({AgencyKind.SCHOOL, AgencyKind.COLLEGE, AgencyKind.EARLY_YEARS})


class Phase(StrEnum):
    """A setting's phase of education, as the DfE's register describes it."""

    NURSERY = "nursery"
    PRIMARY = "primary"
    MIDDLE = "middle"
    SECONDARY = "secondary"
    ALL_THROUGH = "all_through"
    SPECIAL = "special"
    ALTERNATIVE_PROVISION = "alternative_provision"
    POST_16 = "post_16"
    EARLY_YEARS = "early_years"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class AgencyEntry:
    code: str
    name: str
    kind: AgencyKind
    active: bool = True


@dataclass(frozen=True)
class SettingEntry:
    """A school, college or early years setting: an agency with its URN and phase."""

    urn: str
    code: str
    name: str
    kind: AgencyKind
    phase: Phase
    active: bool = True


@dataclass(frozen=True)
class PersonEntry:
    email: str  # lower case: the key a re-import matches on
    name: str
    agency: str | None  # agency or setting code; None for the partnership's own staff
    roles: frozenset[str]
    active: bool = True


@dataclass(frozen=True)
class BodyEntry:
    code: str
    name: str
    kind: BodyKind
    members: frozenset[str] = field(default_factory=frozenset)  # people's e-mails
    active: bool = True


@dataclass(frozen=True)
class Directory:
    """The whole directory, each part keyed as an import matches it."""

    agencies: dict[str, AgencyEntry] = field(default_factory=dict)  # by code
    settings: dict[str, SettingEntry] = field(default_factory=dict)  # by URN
    people: dict[str, PersonEntry] = field(default_factory=dict)  # by e-mail
    bodies: dict[str, BodyEntry] = field(default_factory=dict)  # by code


class Part(StrEnum):
    """The parts of the directory, as an import file's sheets (or CSV files) name them."""

    AGENCIES = "agencies"
    SETTINGS = "settings"
    PEOPLE = "people"
    BODIES = "bodies"


class ChangeKind(StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    DEACTIVATED = "deactivated"


Entry = AgencyEntry | SettingEntry | PersonEntry | BodyEntry


@dataclass(frozen=True)
class EntryChange:
    """What an import would do to one entry: ``fields`` names what changed, ``entry`` is the
    entry as it will be stored, and ``before`` the entry as the plan found it (None for one
    being added): applying the plan refuses it when the directory no longer holds ``before``."""

    part: Part
    key: str  # code, URN or e-mail
    kind: ChangeKind
    entry: Entry
    fields: tuple[str, ...] = ()
    before: Entry | None = None


@dataclass(frozen=True)
class ImportPlan:
    """Every change an import would make, worked out against the directory as it was read;
    applying it re-reads the directory and refuses a plan that no longer fits."""

    changes: tuple[EntryChange, ...]

    def count(self, part: Part, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.part is part and c.kind is kind)
