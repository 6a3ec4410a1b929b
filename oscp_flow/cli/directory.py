"""``oscp directory show|add|handover|log``: the partnership's agencies, settings, people and
bodies, kept by a coordinator (changing and deactivating them: ``directory_changes``;
importing and exporting them as files: ``directory_files``).

Every change names who makes it (``--as``) and why (``--reason``), both kept in the
directory's log. The engine decides what is allowed; these commands say what was done, or
the engine's refusal in one sentence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from oscp_flow.cli.common import AsPerson, acting_person, directory_app, out, run_action

if TYPE_CHECKING:
    from states.rules.directory import Directory
    from states.services.deps import Deps
    from states.services.handover import Handover

Reason = Annotated[
    str, typer.Option("--reason", help="Why, in a sentence: kept in the directory's log.")
]
Kind = Annotated[str, typer.Option("--kind", help="What it is, e.g. police, school, subgroup.")]
add_app = typer.Typer(no_args_is_help=True, help="Add an agency, setting, person or body.")
directory_app.add_typer(add_app, name="add")
DUTY_WORDS = {
    "chair": "Chair",
    "case": "Case to audit",
    "return": "Return owed",
    "action": "Action owned",
}


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


@directory_app.command("show")
def directory_show(
    as_person: AsPerson = None,
    search: Annotated[
        str | None, typer.Option(help="Only entries whose name, e-mail, code or URN has this.")
    ] = None,
    part: Annotated[
        str | None, typer.Option(help="Only agencies, settings, people or bodies.")
    ] = None,
) -> None:
    """The directory, or what matches --search (coordinators only: it lists e-mails)."""
    from states.rules import directory_values as values
    from states.rules.directory import Part
    from states.services import directory

    viewer = acting_person(as_person)

    def action(deps: Deps) -> None:
        chosen = None if part is None else values.choice(part, Part, what="part")
        _show(directory.show(deps, viewer=viewer, search=search, part=chosen))

    run_action(action)


def _show(found: Directory) -> None:
    tables = [
        table
        for table in (_agencies(found), _settings(found), _people(found), _bodies(found))
        if table.row_count
    ]
    for table in tables:
        out.print(table)
    if not tables:
        out.print("Nothing in the directory matches.")


def _agencies(found: Directory) -> Table:
    table = table_of("Agencies", "Code", "Name", "Kind", "Active")
    for a in found.agencies.values():
        table.add_row(a.code, a.name, a.kind.value, yes_no(a.active))
    return table


def _settings(found: Directory) -> Table:
    table = table_of("Settings", "URN", "Code", "Name", "Kind", "Phase", "Active")
    for s in found.settings.values():
        table.add_row(s.urn, s.code, s.name, s.kind.value, s.phase.value, yes_no(s.active))
    return table


def _people(found: Directory) -> Table:
    table = table_of("People", "E-mail", "Name", "Agency", "Roles", "Active")
    for p in found.people.values():
        table.add_row(p.email, p.name, p.agency or "", ", ".join(sorted(p.roles)), yes_no(p.active))
    return table


def _bodies(found: Directory) -> Table:
    table = table_of("Bodies", "Code", "Name", "Kind", "Members", "Active")
    for b in found.bodies.values():
        table.add_row(b.code, b.name, b.kind.value, str(len(b.members)), yes_no(b.active))
    return table


def table_of(title: str, *columns: str) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    return table


# --- adding ----------------------------------------------------------------------------------


@add_app.command("agency")
def add_agency(
    code: str, name: str, kind: Kind, reason: Reason, as_person: AsPerson = None
) -> None:
    """Add an agency (a school, college or early years setting is `add setting`)."""
    from states.services import directory_agencies

    actor = acting_person(as_person)
    run_action(
        lambda deps: done(
            directory_agencies.add_agency(
                deps, code=code, name=name, kind=kind, actor=actor, reason=reason
            ).name,
            "added",
        )
    )


@add_app.command("setting")
def add_setting(
    *,
    urn: str,
    code: str,
    name: str,
    kind: Kind,
    phase: Annotated[str, typer.Option(help="e.g. primary, secondary, special, early_years.")],
    reason: Reason,
    as_person: AsPerson = None,
) -> None:
    """Add a school, college or early years setting with its URN."""
    from states.services import directory_agencies

    actor = acting_person(as_person)
    run_action(
        lambda deps: done(
            directory_agencies.add_setting(
                deps,
                urn=urn,
                code=code,
                name=name,
                kind=kind,
                phase=phase,
                actor=actor,
                reason=reason,
            ).name,
            "added",
        )
    )


@add_app.command("person")
def add_person(
    *,
    email: str,
    name: str,
    reason: Reason,
    agency: Annotated[str | None, typer.Option(help="Their agency's or setting's code.")] = None,
    role: Annotated[list[str] | None, typer.Option(help="A role they hold (repeat).")] = None,
    as_person: AsPerson = None,
) -> None:
    """Add a person with their work e-mail, agency and roles."""
    from states.services import directory_people

    actor = acting_person(as_person)
    run_action(
        lambda deps: done(
            directory_people.add_person(
                deps,
                name=name,
                email=email,
                roles=role or (),
                agency=agency,
                actor=actor,
                reason=reason,
            ).name,
            "added",
        )
    )


@add_app.command("body")
def add_body(code: str, name: str, kind: Kind, reason: Reason, as_person: AsPerson = None) -> None:
    """Add a body: learning_hub, statutory_partners, performance_group or subgroup."""
    from states.services import bodies

    actor = acting_person(as_person)
    run_action(
        lambda deps: done(
            bodies.add_body(deps, code=code, name=name, kind=kind, actor=actor, reason=reason).name,
            "added",
        )
    )


def done(name: str, what: str) -> None:
    out.print(f"{name}: {what}.", highlight=False, soft_wrap=True)


# --- handing over, and the log ---------------------------------------------------------------


@directory_app.command("handover")
def handover(
    person: Annotated[str, typer.Argument(help="E-mail of the person whose duties move.")],
    to: Annotated[str, typer.Argument(help="E-mail of the person taking them on.")],
    reason: Reason,
    as_person: AsPerson = None,
) -> None:
    """Move a person's open duties (audits chaired, cases, returns, actions) to another."""
    from states.services import handover as handing

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        _show_handover(handing.handover(deps, person=person, to=to, actor=actor, reason=reason))

    run_action(action)


def _show_handover(done: Handover) -> None:
    if not done.handed:
        out.print(f"{done.person} has nothing open to hand over.", highlight=False)
        return
    table = table_of(f"{done.person} to {done.to}", "Audit", "What", "Detail", "Moved", "Result")
    for h in done.handed:
        kind = DUTY_WORDS[h.duty.kind]
        table.add_row(h.duty.audit, kind, h.duty.detail, yes_no(h.moved), h.said)
    out.print(table)
    out.print(f"{len(done.moved)} moved, {len(done.not_moved)} not moved.")


@directory_app.command("log")
def directory_log(
    as_person: AsPerson = None,
    person: Annotated[str | None, typer.Option(help="Only this person's (e-mail).")] = None,
    agency: Annotated[str | None, typer.Option(help="Only this agency's (code or URN).")] = None,
    body: Annotated[str | None, typer.Option(help="Only this body's (code).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 200,
) -> None:
    """Who changed what in the directory, when and why: the newest first."""
    from states.rules.directory_log import describe
    from states.services import directory

    viewer = acting_person(as_person)

    def action(deps: Deps) -> None:
        rows = directory.log(
            deps, viewer=viewer, person=person, agency=agency, body=body, limit=limit
        )
        table = table_of("Directory log", "When", "By", "About", "Change", "What", "Why")
        for row in rows:
            about = f"{row.subject} {row.about}"
            what = "; ".join(
                part
                for part in (
                    row.member and f"member {row.member}",
                    row.role and f"role {row.role}",
                    describe(row.fields),
                    row.links_revoked and f"{row.links_revoked} links withdrawn",
                )
                if part
            )
            when = row.at.strftime("%Y-%m-%d %H:%M")
            table.add_row(when, row.by, about, row.change, what, row.reason)
        out.print(table)
        out.print(f"{len(rows)} change{'' if len(rows) == 1 else 's'}.")

    run_action(action)
