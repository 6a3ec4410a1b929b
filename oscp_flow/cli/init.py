"""``oscp init``: set up a new partnership's engine in ``OSCP_HOME``.

It asks for what it needs (or takes flags, for unattended installs), writes the settings to
``OSCP_HOME/settings.env`` (readable by this user only: it may hold the mail relay's
password), creates the database and adds the first coordinator with a password. Nothing of
the demonstration is loaded: the next steps are the partnership's own directory and
programme, which the command prints.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from oscp_flow.cli.common import app, err, out, plain_errors

PASSWORD_ENV = "OSCP_INIT_PASSWORD"  # noqa: S105 (the variable's name, not a password)
SMTP_PASSWORD_ENV = "OSCP_INIT_SMTP_PASSWORD"  # noqa: S105 (the variable's name)


@app.command("init")
def init(
    *,
    partnership: Annotated[
        str | None, typer.Option(help="The partnership's name, as letters print it.")
    ] = None,
    mail_from: Annotated[
        str | None, typer.Option(help='Sender of e-mails: "Learning hub <hub@example.org>".')
    ] = None,
    mail_domain: Annotated[
        str | None, typer.Option(help="Domain that ends the e-mails' Message-IDs.")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="Address people open e-mailed links at.")
    ] = None,
    smtp_host: Annotated[str | None, typer.Option(help="The mail relay.")] = None,
    smtp_port: Annotated[int | None, typer.Option(help="The mail relay's port.")] = None,
    smtp_tls: Annotated[
        str | None, typer.Option(help="none (local capture only), starttls or implicit.")
    ] = None,
    smtp_username: Annotated[
        str | None,
        typer.Option(help=f"Login at the relay; its password from {SMTP_PASSWORD_ENV}."),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="PostgreSQL URL; unset, SQLite in OSCP_HOME.")
    ] = None,
    coordinator_name: Annotated[str | None, typer.Option(help="The first coordinator.")] = None,
    coordinator_email: Annotated[
        str | None, typer.Option(help="The first coordinator's work e-mail.")
    ] = None,
    unattended: Annotated[
        bool,
        typer.Option(
            "--yes",
            help=f"Ask nothing: every value from flags, the password from {PASSWORD_ENV}.",
        ),
    ] = False,
) -> None:
    """Set up a new partnership: settings, database and the first coordinator."""
    from oscp_flow.instance import Setup

    ask = _Asker(unattended)
    setup = Setup(
        partnership=ask.text("Partnership name", partnership),
        mail_from=ask.text("Sender of e-mails (Name <address>)", mail_from),
        mail_domain=ask.text("Mail domain (for Message-IDs)", mail_domain),
        base_url=ask.text("Address of the web app for links", base_url),
        smtp_host=ask.text("Mail relay host", smtp_host),
        smtp_port=ask.number("Mail relay port", smtp_port),
        smtp_tls=ask.text("Relay encryption: none, starttls or implicit", smtp_tls),
        smtp_username=smtp_username,
        smtp_password=os.environ.get(SMTP_PASSWORD_ENV) if smtp_username else None,
        database_url=database_url,
        coordinator_name=ask.text("First coordinator's name", coordinator_name),
        coordinator_email=ask.text("First coordinator's work e-mail", coordinator_email),
        coordinator_password=ask.password(),
    )
    with plain_errors():
        _report(setup.apply())


class _Asker:
    """Prompts for a missing value, or (unattended) refuses naming the flag to give."""

    def __init__(self, unattended: bool) -> None:
        self.unattended = unattended

    def text(self, question: str, given: str | None) -> str:
        if given is not None:
            return given
        if self.unattended:
            _missing(question)
        return str(typer.prompt(question))

    def number(self, question: str, given: int | None) -> int:
        if given is not None:
            return given
        if self.unattended:
            _missing(question)
        return int(typer.prompt(question, type=int))

    def password(self) -> str:
        given = os.environ.get(PASSWORD_ENV)
        if given:
            return given
        if self.unattended:
            err.print(
                f"[bold red]Error:[/] --yes needs the first coordinator's password in "
                f"{PASSWORD_ENV}; set it and run oscp init again.",
                highlight=False,
            )
            raise typer.Exit(2)
        first = typer.prompt("First coordinator's password", hide_input=True)
        again = typer.prompt("The same password again", hide_input=True)
        if first != again:
            err.print("[bold red]Error:[/] the two passwords differ; nothing was set up.")
            raise typer.Exit(1)
        return str(first)


def _missing(question: str) -> None:
    err.print(
        f"[bold red]Error:[/] --yes asks nothing, and no value was given for "
        f"'{question}'; add its flag (see oscp init --help).",
        highlight=False,
    )
    raise typer.Exit(2)


def _report(settings_file: Path) -> None:
    out.print(
        f"The partnership is set up; its settings are in {settings_file}.",
        highlight=False,
        soft_wrap=True,
    )
    out.print("Next:", highlight=False)
    for step in NEXT_STEPS:
        out.print(f"  {step}", highlight=False, soft_wrap=True)


NEXT_STEPS = (
    "1. oscp directory template -o directory.xlsx   (fill in agencies, settings, people, bodies)",
    "2. oscp directory import directory.xlsx --dry-run --as YOU --reason '...'",
    "   then the same without --dry-run",
    "3. oscp programme load [PLAN.yaml]   (the audit programme; default: the shipped one)",
    "4. oscp up   (the web app, the worker, mail and the Prefect UI)",
)
