"""``oscp user password EMAIL``: give someone who signs in (a coordinator, chair, auditor or
learning hub member) a password; and ``oscp user remove``, ``oscp user role remove`` and
``oscp user links revoke``: a coordinator removes a person who has left, a role they no longer
hold, or their unused links.

The password is asked for twice and never echoed, never taken from an argument (it would
stay in the shell's history and the process list). Setting it ends every session of the
person on the server. People without a sign-in role are refused: agencies act by link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from oscp_flow.cli.common import AsPerson, acting_person, app, err, out, run_action

if TYPE_CHECKING:
    from states.services.deps import Deps
    from states.services.people import Removed

user_app = typer.Typer(no_args_is_help=True, help="People who sign in to the coordinator pages.")
app.add_typer(user_app, name="user")


@user_app.command("password")
def user_password(email: str) -> None:
    """Set the password a coordinator, chair, auditor or learning hub member signs in with."""
    from states.services import credentials

    password = typer.prompt("New password", hide_input=True)
    again = typer.prompt("The same password again", hide_input=True)
    if password != again:
        err.print("[bold red]Error:[/] the two passwords differ; nothing was changed.")
        raise typer.Exit(1)

    def action(deps: Deps) -> None:
        credentials.set_password(deps, email=email, password=password)

    run_action(action)
    out.print(f"Password set for {email}; any earlier sessions have ended.", highlight=False)


# --- removing people, roles and links (coordinators) -----------------------------------------

Reason = Annotated[
    str, typer.Option("--reason", help="Why, in a sentence: kept in the directory's log.")
]
role_app = typer.Typer(no_args_is_help=True, help="Take a role away from a person.")
links_app = typer.Typer(no_args_is_help=True, help="Withdraw a person's e-mailed links.")
DUTY_WORDS = {
    "chair": "Chair",
    "case": "Case to audit",
    "return": "Return owed",
    "action": "Action owned",
}
user_app.add_typer(role_app, name="role")
user_app.add_typer(links_app, name="links")


@user_app.command("remove")
def user_remove(email: str, reason: Reason, as_person: AsPerson = None) -> None:
    """Remove a person who has left: no roles, no links, no sign-in (coordinators only)."""
    from states.services import people

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        removed = people.deactivate_person(deps, person=email, actor=actor, reason=reason)
        _show(removed, "removed from the directory")

    run_action(action)


@role_app.command("remove")
def user_role_remove(email: str, role: str, reason: Reason, as_person: AsPerson = None) -> None:
    """Take ROLE away from a person; links only that role allowed stop working."""
    from states.services import people

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        removed = people.remove_role(deps, person=email, role=role, actor=actor, reason=reason)
        _show(removed, f"no longer holds the role {role}")

    run_action(action)


@links_app.command("revoke")
def user_links_revoke(email: str, reason: Reason, as_person: AsPerson = None) -> None:
    """Withdraw every unused link a person holds; the next e-mail brings new ones."""
    from states.services import people

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        removed = people.revoke_links(deps, person=email, actor=actor, reason=reason)
        _show(removed, "stays in the directory")

    run_action(action)


def _show(removed: Removed, what: str) -> None:
    links = f"{removed.links_revoked} link{'' if removed.links_revoked == 1 else 's'} withdrawn"
    sessions = removed.sessions_ended
    out.print(
        f"{removed.name} ({removed.email}) {what}: {links}, "
        f"{sessions} signed-in session{'' if sessions == 1 else 's'} ended.",
        highlight=False,
        soft_wrap=True,
    )
    if not removed.duties:
        out.print("Nothing they owed is left to reassign.")
        return
    table = Table(title="Still to reassign")
    for column in ("Audit", "What", "Detail"):
        table.add_column(column)
    for duty in removed.duties:
        table.add_row(duty.audit, DUTY_WORDS[duty.kind], duty.detail)
    out.print(table)
