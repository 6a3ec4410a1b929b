"""``oscp user password EMAIL``: give a coordinator or learning hub member a password.

The password is asked for twice and never echoed, never taken from an argument (it would
stay in the shell's history and the process list). Setting it ends the person's sessions
and lifts any lockout. People without a sign-in role are refused: agencies act by link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from oscp_flow.cli import _run, app, err, out

if TYPE_CHECKING:
    from states.services.deps import Deps

user_app = typer.Typer(no_args_is_help=True, help="People who sign in to the coordinator pages.")
app.add_typer(user_app, name="user")


@user_app.command("password")
def user_password(email: str) -> None:
    """Set the password a coordinator or learning hub member signs in with."""
    from oscp_flow import accounts

    password = typer.prompt("New password", hide_input=True)
    again = typer.prompt("The same password again", hide_input=True)
    if password != again:
        err.print("[bold red]Error:[/] the two passwords differ; nothing was changed.")
        raise typer.Exit(1)

    def action(deps: Deps) -> None:
        accounts.set_password(deps, email=email, password=password)

    _run(action)
    out.print(f"Password set for {email}; any earlier sessions have ended.", highlight=False)
