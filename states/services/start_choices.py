"""What a coordinator chooses from to start an audit, and what the audit is once started.

The audit types, the people who may chair, the agencies and the settings taking part (as
``oscp audit start`` takes them: a type, a lead's e-mail, agency codes), a programme entry to
start from (``oscp programme start``), and, after the start, the agencies or settings nobody
can be asked for a return. Only a coordinator starts audits here, so only a coordinator reads
these lists: they name people by e-mail.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from states.definitions.stage_names import Stage
from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditStore
from states.rules.directory import PersonEntry, Phase, SettingEntry
from states.rules.policy import Permission, allows, require
from states.services import unasked
from states.services.audit_access import organised_audit
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.directory_read import AnyAgency, Found, agencies, people
from states.services.programme import EntryView, list_entries

# The engine's own account acts on deadlines; it never chairs an audit.
ENGINE_ROLE = "system"
# Settings grouped by phase of education, in the order a reader looks for them.
PHASES: dict[Phase, str] = {
    Phase.EARLY_YEARS: "Early years settings",
    Phase.NURSERY: "Nursery schools",
    Phase.PRIMARY: "Primary schools",
    Phase.MIDDLE: "Middle schools",
    Phase.SECONDARY: "Secondary schools",
    Phase.ALL_THROUGH: "All-through schools",
    Phase.SPECIAL: "Special schools",
    Phase.ALTERNATIVE_PROVISION: "Alternative provision",
    Phase.POST_16: "Post-16 and colleges",
    Phase.NOT_APPLICABLE: "Other settings",
}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class SettingGroup:
    title: str
    settings: tuple[Choice, ...]


@dataclass(frozen=True)
class StartChoices:
    audit_types: tuple[Choice, ...]
    # Who may chair: first those who can sign in to run the audit in the browser, then the
    # rest of the directory (they chair by e-mailed links and the coordinator's help).
    chairs_signing_in: tuple[Choice, ...]
    chairs_others: tuple[Choice, ...]
    agencies: tuple[Choice, ...]
    setting_groups: tuple[SettingGroup, ...]

    @property
    def every_setting(self) -> tuple[str, ...]:
        """Every active setting's code: what "all schools and settings" stands for."""
        return tuple(s.value for group in self.setting_groups for s in group.settings)

    def taking_part(self, chosen: Iterable[str], *, all_settings: bool) -> list[str]:
        """The codes to invite: those chosen, with every setting when all are asked for."""
        wanted = [*chosen, *(self.every_setting if all_settings else ())]
        return list(dict.fromkeys(wanted))


@dataclass(frozen=True)
class EntryToStart:
    """A programme entry as the start page shows it; its type and theme are the plan's."""

    entry: EntryView
    # The person the plan's report author names, when exactly one chair candidate has that
    # name: a suggestion the coordinator may change.
    suggested_chair: str | None


@dataclass(frozen=True)
class Started:
    reference: str
    title: str
    theme: str
    state_title: str
    # Still being planned: its terms of reference are next.
    planning: bool
    # Agencies or settings taking part with no active agency lead to ask, by name.
    unasked: tuple[str, ...]


def start_choices(deps: Deps, *, viewer: PersonKey) -> StartChoices:
    """The lists a coordinator starts an audit from; anyone else is refused."""
    catalogue = deps.catalogue
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        _coordinator(AuditStore(c).load_actor(viewer))
        everyone = people(c, t.person.c.active)
        found = [a for a in agencies(c) if a.entry.active]
    types = sorted(
        (Choice(k, catalogue.current(k).definition.title) for k in catalogue.audit_types),
        key=lambda choice: choice.label,
    )
    chairs = [p for p in everyone if ENGINE_ROLE not in p.entry.roles]
    signing_in = [p for p in chairs if allows(p.entry.roles, Permission.SIGN_IN)]
    others = [p for p in chairs if not allows(p.entry.roles, Permission.SIGN_IN)]
    named = _names(chairs)
    return StartChoices(
        audit_types=tuple(types),
        chairs_signing_in=tuple(Choice(p.entry.email, named[p.id]) for p in signing_in),
        chairs_others=tuple(Choice(p.entry.email, named[p.id]) for p in others),
        agencies=tuple(
            Choice(a.entry.code, a.entry.name)
            for a in found
            if not isinstance(a.entry, SettingEntry)
        ),
        setting_groups=_setting_groups(found),
    )


def entry_to_start(deps: Deps, *, key: str, choices: StartChoices) -> EntryToStart:
    """The programme entry ``key``, with the chair its plan suggests."""
    found = [e for e in list_entries(deps) if e.key == key]
    if not found:
        raise NotFound("programme entry", key)
    if len(found) > 1:
        names = ", ".join(sorted(e.programme for e in found))
        raise InvalidInput(f"Programme entry '{key}' is in several programmes ({names}).")
    entry = found[0]
    author = " ".join(entry.report_author.split()).lower()
    named = [
        c.value
        for c in (*choices.chairs_signing_in, *choices.chairs_others)
        if c.label.lower() == author
    ]
    return EntryToStart(entry, named[0] if len(named) == 1 else None)


def started(deps: Deps, *, audit: AuditKey, viewer: PersonKey) -> Started:
    """A newly started audit, for the chair or coordinator who started it."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = organised_audit(deps, store, audit, viewer, "see how its start went")
        definition = compiled_for(deps, store, row).definition
        names = tuple(unasked.unasked(uow.connection, row.id))
    state = definition.state(row.state)
    return Started(
        reference=row.reference,
        title=definition.title,
        theme=row.theme,
        state_title=state.title,
        planning=state.stage == Stage.PLANNING,
        unasked=names,
    )


def _coordinator(actor: Actor) -> None:
    require(
        actor.roles,
        Permission.COORDINATE,
        refusal=f"Only a coordinator can start an audit, and {actor.name} is not one.",
    )


def _names(found: Sequence[Found[PersonEntry]]) -> dict[int, str]:
    """Each person by name, with their e-mail where two share a name."""
    counts = Counter(p.entry.name for p in found)
    return {
        p.id: p.entry.name if counts[p.entry.name] == 1 else f"{p.entry.name} ({p.entry.email})"
        for p in found
    }


def _setting_groups(found: Sequence[Found[AnyAgency]]) -> tuple[SettingGroup, ...]:
    by_phase: dict[Phase, list[Choice]] = {}
    for agency in found:
        entry = agency.entry
        if isinstance(entry, SettingEntry):
            label = f"{entry.name} (URN {entry.urn})"
            by_phase.setdefault(entry.phase, []).append(Choice(entry.code, label))
    return tuple(
        SettingGroup(title, tuple(by_phase[phase]))
        for phase, title in PHASES.items()
        if phase in by_phase
    )
