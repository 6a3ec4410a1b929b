"""``oscp directory change|deactivate|reactivate``: changing the partnership's agencies,
settings, people and bodies, and taking them out of the directory or bringing them back.

Deactivating a person withdraws their unused links and ends their sessions, and lists what
they still owe, for ``oscp directory handover``. Every change is logged with its reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from oscp_flow.cli.common import AsPerson, acting_person, directory_app, err, out, run_action
from oscp_flow.cli.directory import DUTY_WORDS, Reason, done, table_of

if TYPE_CHECKING:
    from states.services.deps import Deps
    from states.services.people import Removed

change_app = typer.Typer(no_args_is_help=True, help="Change an agency, setting, person or body.")
directory_app.add_typer(change_app, name="change")
PARTS = ("agency", "setting", "person", "body")


@change_app.command("agency")
@change_app.command("setting")
def change_agency(
    *,
    key: Annotated[str, typer.Argument(help="The agency's code, or the setting's code or URN.")],
    reason: Reason,
    code: Annotated[str | None, typer.Option(help="A new code.")] = None,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    kind: Annotated[str | None, typer.Option(help="A new kind.")] = None,
    urn: Annotated[str | None, typer.Option(help="A setting's URN.")] = None,
    phase: Annotated[str | None, typer.Option(help="A setting's phase.")] = None,
    as_person: AsPerson = None,
) -> None:
    """Change an agency's or setting's code, name, kind, URN or phase."""
    from states.services import directory_agencies

    actor = acting_person(as_person)
    run_action(
        lambda deps: done(
            directory_agencies.change_agency(
                deps,
                agency=key,
                code=code,
                name=name,
                kind=kind,
                urn=urn,
                phase=phase,
                actor=actor,
                reason=reason,
            ).name,
            "changed",
        )
    )


@change_app.command("person")
def change_person(
    *,
    email: str,
    reason: Reason,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    new_email: Annotated[str | None, typer.Option("--email", help="A new e-mail.")] = None,
    agency: Annotated[str | None, typer.Option(help="A new agency's code.")] = None,
    no_agency: Annotated[bool, typer.Option(help="The partnership's own staff.")] = False,
    grant: Annotated[list[str] | None, typer.Option(help="A role to grant (repeat).")] = None,
    remove_role: Annotated[
        list[str] | None, typer.Option(help="A role to take away (repeat).")
    ] = None,
    as_person: AsPerson = None,
) -> None:
    """Change a person's name, e-mail or agency, grant roles or take them away."""
    from states.services import directory_people

    actor = acting_person(as_person)
    moved: str | directory_people.Keep | None = directory_people.KEEP
    if agency is not None or no_agency:
        moved = agency

    def action(deps: Deps) -> None:
        changed = directory_people.change_person(
            deps,
            person=email,
            name=name,
            email=new_email,
            agency=moved,
            grant=grant or (),
            remove=remove_role or (),
            actor=actor,
            reason=reason,
        )
        done(changed.name, f"changed (roles: {', '.join(sorted(changed.roles)) or 'none'})")

    run_action(action)


@change_app.command("body")
def change_body(
    code: str,
    reason: Reason,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    kind: Annotated[str | None, typer.Option(help="A new kind.")] = None,
    as_person: AsPerson = None,
) -> None:
    """Change a body's name or kind (its members: `oscp body add-member|remove-member`)."""
    from states.services import bodies

    actor = acting_person(as_person)
    run_action(
        lambda deps: done(
            bodies.change_body(
                deps, body=code, name=name, kind=kind, actor=actor, reason=reason
            ).name,
            "changed",
        )
    )


Part = Annotated[str, typer.Argument(help="agency, setting, person or body.")]


@directory_app.command("deactivate")
def deactivate(
    part: Part,
    key: Annotated[str, typer.Argument(help="Code, URN or e-mail.")],
    reason: Reason,
    as_person: AsPerson = None,
) -> None:
    """Deactivate an agency, setting, person or body; a person's links and sessions end."""
    _active(part, key, False, reason, acting_person(as_person))


@directory_app.command("reactivate")
def reactivate(
    part: Part,
    key: Annotated[str, typer.Argument(help="Code, URN or e-mail.")],
    reason: Reason,
    as_person: AsPerson = None,
) -> None:
    """Bring back an agency, setting, person or body that was deactivated."""
    _active(part, key, True, reason, acting_person(as_person))


def _active(part: str, key: str, active: bool, reason: str, actor: str) -> None:
    from states.services import bodies, directory_agencies, directory_people, people

    word = "reactivated" if active else "deactivated"

    def action(deps: Deps) -> None:
        if part in ("agency", "setting"):
            found = directory_agencies.set_active(
                deps, agency=key, active=active, actor=actor, reason=reason
            )
            done(found.name, word)
        elif part == "body":
            body = bodies.change_body(deps, body=key, active=active, actor=actor, reason=reason)
            done(body.name, word)
        elif active:
            back = directory_people.reactivate_person(deps, person=key, actor=actor, reason=reason)
            done(back.name, word)
        else:
            show_removed(people.deactivate_person(deps, person=key, actor=actor, reason=reason))

    if part not in PARTS:
        err.print(f"[bold red]Error:[/] say which: {', '.join(PARTS)}.", highlight=False)
        raise typer.Exit(2)
    run_action(action)


def show_removed(removed: Removed) -> None:
    links, sessions = removed.links_revoked, removed.sessions_ended
    out.print(
        f"{removed.name} ({removed.email}) deactivated: {links} link{'' if links == 1 else 's'} "
        f"withdrawn, {sessions} signed-in session{'' if sessions == 1 else 's'} ended.",
        highlight=False,
        soft_wrap=True,
    )
    if not removed.duties:
        out.print("Nothing they owed is left to hand over.")
        return
    table = table_of("Still to hand over (oscp directory handover)", "Audit", "What", "Detail")
    for duty in removed.duties:
        table.add_row(duty.audit, DUTY_WORDS[duty.kind], duty.detail)
    out.print(table)
