"""Agencies and settings in the directory: add, change, deactivate and reactivate.

A setting (a school, college or early years setting) is an agency with its URN and phase; the
URN is how a re-import finds it again, so a setting cannot be without one, and nothing else
has one. An agency is deactivated only once nobody active works there and no open audit has
it taking part, so nothing it owes is left without anyone to do it. Every change is logged
with each field's old and new value (``directory_write``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Connection, insert, select, update

from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.persistence.directory_log import Change
from states.rules import directory_values as values
from states.rules.directory import SETTING_KINDS, AgencyEntry, AgencyKind, Phase, SettingEntry
from states.rules.directory_log import Logged, Subject, added, changes
from states.services.deps import Deps
from states.services.directory_read import AnyAgency, Found, find_agency, ids_of
from states.services.directory_write import Edit, directory_write

SHOWN = 3  # names or audits a refusal lists before "and N more"


def add_agency(
    deps: Deps, *, code: str, name: str, kind: str, actor: str | int, reason: str
) -> AgencyEntry:
    entry = checked_plain(
        AgencyEntry(code, name, values.choice(kind, AgencyKind, what="kind of agency"))
    )
    with directory_write(deps, actor=actor, reason=reason) as edit:
        add_agencies(edit, [entry])
    return entry


def add_setting(
    deps: Deps,
    *,
    urn: str,
    code: str,
    name: str,
    kind: str,
    phase: str,
    actor: str | int,
    reason: str,
) -> SettingEntry:
    entry = checked_setting(
        SettingEntry(
            urn,
            code,
            name,
            values.choice(kind, AgencyKind, what="kind of setting"),
            values.choice(phase, Phase, what="phase"),
        )
    )
    with directory_write(deps, actor=actor, reason=reason) as edit:
        add_agencies(edit, [entry])
    return entry


def change_agency(
    deps: Deps,
    *,
    agency: str,
    actor: str | int,
    reason: str,
    code: str | None = None,
    name: str | None = None,
    kind: str | None = None,
    urn: str | None = None,
    phase: str | None = None,
) -> AnyAgency:
    """Change what is given and keep the rest. A new kind that is a setting's needs the URN
    (and phase) too; a setting given another kind stops being a setting and loses both."""
    with directory_write(deps, actor=actor, reason=reason) as edit:
        current = existing(edit.c, agency)
        entry = _changed(current.entry, code=code, name=name, kind=kind, urn=urn, phase=phase)
        return put_agency(edit, entry, current)


def set_active(
    deps: Deps, *, agency: str, active: bool, actor: str | int, reason: str
) -> AnyAgency:
    with directory_write(deps, actor=actor, reason=reason) as edit:
        current = existing(edit.c, agency)
        if current.entry.active == active:
            state = "active" if active else "deactivated"
            raise InvalidInput(f"{current.entry.name} is already {state}; nothing changed.")
        return put_agency(edit, replace(current.entry, active=active), current)


def existing(c: Connection, key: str) -> Found[AnyAgency]:
    found = find_agency(c, key)
    if found is None:
        raise NotFound("agency or setting", key)
    return found


def _changed(
    entry: AnyAgency,
    *,
    code: str | None,
    name: str | None,
    kind: str | None,
    urn: str | None,
    phase: str | None,
) -> AnyAgency:
    new_kind = entry.kind if kind is None else values.choice(kind, AgencyKind, what="kind")
    new_code, new_name = code or entry.code, name or entry.name
    if new_kind not in SETTING_KINDS:
        if urn is not None or phase is not None:
            raise InvalidInput(
                "Only schools, colleges and early years settings have a URN and phase; give "
                "the setting's kind as well."
            )
        return AgencyEntry(new_code, new_name, new_kind, entry.active)
    was = entry if isinstance(entry, SettingEntry) else None
    new_urn = urn or (was.urn if was else None)
    if new_urn is None:
        raise InvalidInput(
            f"A {new_kind.value.replace('_', ' ')} is a setting, known by its URN: give its "
            "URN as well."
        )
    chosen = values.choice(phase, Phase, what="phase") if phase is not None else None
    new_phase = chosen or (was.phase if was else Phase.NOT_APPLICABLE)
    return SettingEntry(new_urn, new_code, new_name, new_kind, new_phase, entry.active)


# --- storing, for these commands and for imports ---------------------------------------------


def checked_agency(entry: AnyAgency) -> AnyAgency:
    if isinstance(entry, SettingEntry):
        return checked_setting(entry)
    return checked_plain(entry)


def checked_setting(entry: SettingEntry) -> SettingEntry:
    code = values.code(entry.code)
    name = values.name(entry.name, what="setting's name")
    kind = AgencyKind(entry.kind)
    if kind not in SETTING_KINDS:
        raise InvalidInput(
            "A setting is a school, college or early years setting; any other agency has no URN."
        )
    return SettingEntry(values.urn(entry.urn), code, name, kind, Phase(entry.phase), entry.active)


def checked_plain(entry: AgencyEntry) -> AgencyEntry:
    code = values.code(entry.code)
    name = values.name(entry.name, what="agency's name")
    kind = AgencyKind(entry.kind)
    if kind in SETTING_KINDS:
        raise InvalidInput(
            f"A {kind.value.replace('_', ' ')} is a setting, known by its URN: add it as a "
            "setting, with its URN and phase."
        )
    return AgencyEntry(code, name, kind, entry.active)


def _row(entry: AnyAgency) -> dict[str, str | bool | None]:
    setting = entry if isinstance(entry, SettingEntry) else None
    return {
        "code": entry.code,
        "name": entry.name,
        "kind": entry.kind.value,
        "urn": setting.urn if setting else None,
        "phase": setting.phase.value if setting else None,
        "active": entry.active,
    }


def _fields(row: dict[str, str | bool | None]) -> dict[str, str | bool | None]:
    return {k: v for k, v in row.items() if k != "active"}


def _subject(entry: AnyAgency) -> Subject:
    return Subject.SETTING if isinstance(entry, SettingEntry) else Subject.AGENCY


def add_agencies(edit: Edit, entries: Sequence[AnyAgency]) -> None:
    """Add new agencies and settings in one statement, each logged as added."""
    if not entries:
        return
    checked = [checked_agency(entry) for entry in entries]
    _no_duplicates(edit.c, checked)
    rows = [_row(entry) for entry in checked]
    # Many rows, then their ids by code: RETURNING in parameter order is a row at a time on
    # SQLite, which an import of thousands of settings would feel.
    edit.c.execute(insert(t.agency), rows)
    ids = ids_of(edit.c, t.agency.c.code, t.agency.c.id, [entry.code for entry in checked])
    for entry, row in zip(checked, rows, strict=True):
        fields = added(row)
        edit.log(Change(_subject(entry), Logged.ADDED, agency_id=ids[entry.code], fields=fields))


def _no_duplicates(c: Connection, entries: Sequence[AnyAgency]) -> None:
    codes = [e.code for e in entries]
    urns = [e.urn for e in entries if isinstance(e, SettingEntry)]
    for found, what in ((codes, "code"), (urns, "URN")):
        twice = sorted(key for key, times in Counter(found).items() if times > 1)
        if twice:
            raise InvalidInput(f"The {what} {twice[0]} is given twice; each must be unique.")
    taken = sorted(ids_of(c, t.agency.c.code, t.agency.c.id, codes))
    if taken:
        raise InvalidInput(f"There is already an agency or setting with the code {taken[0]}.")
    taken = sorted(ids_of(c, t.agency.c.urn, t.agency.c.id, urns))
    if taken:
        raise InvalidInput(f"There is already a setting with the URN {taken[0]}.")


def put_agency(edit: Edit, entry: AnyAgency, current: Found[AnyAgency] | None) -> AnyAgency:
    """Store ``entry`` over the agency ``current`` (or add it), logging what changed."""
    if current is None:
        add_agencies(edit, [entry])
        return checked_agency(entry)
    entry = checked_agency(entry)
    _not_taken(edit.c, entry, current.id)
    old, new = _row(current.entry), _row(entry)
    fields = changes(_fields(old), _fields(new))
    if not fields and old["active"] == new["active"]:
        return entry
    if current.entry.active and not entry.active:
        _may_deactivate(edit.c, current.id, current.entry.name)
    edit.c.execute(update(t.agency).where(t.agency.c.id == current.id).values(**new))
    change = _flip(current.entry.active, entry.active)
    edit.log(Change(_subject(entry), change, agency_id=current.id, fields=fields))
    return entry


def _flip(was: bool, now: bool) -> Logged:
    if was and not now:
        return Logged.DEACTIVATED
    return Logged.REACTIVATED if now and not was else Logged.CHANGED


def _not_taken(c: Connection, entry: AnyAgency, own_id: int) -> None:
    a = t.agency
    if c.execute(select(a.c.id).where(a.c.code == entry.code, a.c.id != own_id)).first():
        raise InvalidInput(f"There is already an agency or setting with the code {entry.code}.")
    if (
        isinstance(entry, SettingEntry)
        and c.execute(select(a.c.id).where(a.c.urn == entry.urn, a.c.id != own_id)).first()
    ):
        raise InvalidInput(f"There is already a setting with the URN {entry.urn}.")


def _may_deactivate(c: Connection, agency_id: int, name: str) -> None:
    """Refuse while someone active works there, or an open audit has it taking part."""
    staff = (
        c.execute(
            select(t.person.c.name)
            .where(t.person.c.agency_id == agency_id, t.person.c.active)
            .order_by(t.person.c.name)
        )
        .scalars()
        .all()
    )
    if staff:
        raise InvalidInput(
            f"{name} still has {_listed(staff)} in the directory; deactivate them or move them "
            "to another agency first."
        )
    audits = (
        c.execute(
            select(t.audit.c.reference)
            .join(t.participation, t.participation.c.audit_id == t.audit.c.id)
            .where(t.participation.c.agency_id == agency_id, t.audit.c.closed_at.is_(None))
            .order_by(t.audit.c.reference)
        )
        .scalars()
        .all()
    )
    if audits:
        raise InvalidInput(
            f"{name} takes part in open audit{'s' if len(audits) > 1 else ''} "
            f"{_listed(audits)}; deactivate it once they have closed."
        )


def _listed(items: Sequence[str]) -> str:
    more = len(items) - SHOWN
    return ", ".join(items[:SHOWN]) + (f" and {more} more" if more > 0 else "")
