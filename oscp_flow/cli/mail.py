"""``oscp mail ...`` (the local mail capture) and ``oscp outbox ...`` (what is waiting to go out).

``outbox list`` shows who a message is for and how delivery is going, never its text: the
text is rendered only when it is sent.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from oscp_flow.cli.common import app, err, out, plain_errors, run_action

if TYPE_CHECKING:
    from email.message import EmailMessage
    from types import FrameType

    from notifications.capture import Captured
    from notifications.relay import OutboxView
    from states.services.deps import Deps

mail_app = typer.Typer(no_args_is_help=True, help="Capture and read e-mail locally.")
outbox_app = typer.Typer(no_args_is_help=True, help="See, send and retry outgoing messages.")
app.add_typer(mail_app, name="mail")
app.add_typer(outbox_app, name="outbox")

Port = Annotated[
    int | None, typer.Option(help="Port on 127.0.0.1 (default: OSCP_SMTP_PORT, 8025).")
]


@mail_app.command("serve")
def mail_serve(port: Port = None) -> None:
    """Capture every message sent to 127.0.0.1:PORT into OSCP_HOME/mail until Ctrl-C."""
    from notifications.capture import mail_dir, start_capture
    from oscp_flow.settings import Settings

    settings = Settings()
    chosen = port or settings.smtp_port
    try:
        controller = start_capture(settings.home, port=chosen)
    except OSError as exc:
        err.print(
            f"[bold red]Error:[/] cannot listen on 127.0.0.1:{chosen} ({exc.strerror or exc}); "
            "is another capture already running? Choose another --port.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    out.print(
        f"Capturing mail on 127.0.0.1:{chosen} into {mail_dir(settings.home)}; "
        "press Ctrl-C to stop.",
        highlight=False,
        soft_wrap=True,
    )
    try:
        _wait_for_stop()
    finally:
        controller.stop()
    out.print("Mail capture stopped.")


def _wait_for_stop() -> None:
    """Until Ctrl-C or SIGTERM (how a service manager or a test stops it), without a traceback."""
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    while not stop.wait(1.0):
        pass


@mail_app.command("list")
def mail_list() -> None:
    """Captured messages, numbered in the order they arrived."""
    from notifications.capture import captured
    from oscp_flow.settings import Settings

    with plain_errors():
        _show_captured(captured(Settings().home))


def _show_captured(messages: list[Captured]) -> None:
    from oscp_flow.output import local

    table = Table(title="Captured mail")
    for column in ("#", "date", "to", "subject"):
        table.add_column(column)
    for m in messages:
        table.add_row(str(m.number), local(m.date), m.recipient, m.subject)
    out.print(table)
    out.print(f"{len(messages)} message(s).")


@mail_app.command("show")
def mail_show(
    number: int,
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part instead.")] = False,
) -> None:
    """Print captured message NUMBER: its headers and its text (or HTML) part."""
    from notifications.capture import read_captured
    from oscp_flow.settings import Settings

    with plain_errors():
        _print_message(read_captured(Settings().home, number), html=html)


def _print_message(message: EmailMessage, *, html: bool) -> None:
    for header in ("Date", "From", "To", "Subject", "Message-ID"):
        value = str(message.get(header, "")).strip()
        out.print(f"{header}: {value}", highlight=False, soft_wrap=True)
    body = message.get_body(preferencelist=("html",) if html else ("plain",))
    out.print()
    typer.echo(body.get_content() if body is not None else "(no such part)")


@outbox_app.command("list")
def outbox_list(
    failed: Annotated[bool, typer.Option("--failed", help="Only messages given up on.")] = False,
) -> None:
    """Messages waiting to go out (or failed): kind, recipient, audit, attempts, last error."""
    from notifications.relay import outbox_messages

    run_action(lambda deps: _show_outbox(outbox_messages(deps, failed=failed), failed=failed))


def _show_outbox(rows: list[OutboxView], *, failed: bool) -> None:
    from oscp_flow.output import local

    table = Table(title="Failed messages" if failed else "Messages waiting to go out")
    for column in ("id", "kind", "recipient", "audit", "attempts", "last error", "queued"):
        table.add_column(column)
    table.add_column("failed" if failed else "next attempt")
    for r in rows:
        when = r.failed_at if failed else r.next_attempt_at
        table.add_row(
            str(r.id),
            r.kind,
            r.recipient,
            r.audit or "(account)",
            str(r.attempts),
            r.last_error or "",
            local(r.created_at),
            local(when),
        )
    out.print(table)
    out.print(f"{len(rows)} message(s) {'failed' if failed else 'waiting'}.")


@outbox_app.command("retry")
def outbox_retry(
    ids: Annotated[list[int], typer.Argument(help="Outbox message id(s), from `outbox list`.")],
) -> None:
    """Send failed message(s) again at the next round, with a fresh set of attempts."""
    from notifications.relay import retry

    def action(deps: Deps) -> None:
        for outbox_id in ids:
            retry(deps, outbox_id=outbox_id)
            out.print(f"Message {outbox_id} will be sent at the next round.")

    run_action(action)


@outbox_app.command("send")
def outbox_send(
    batch: Annotated[int, typer.Option(help="At most this many messages.")] = 100,
) -> None:
    """Run one relay round now and say how it went."""
    from notifications.relay import relay
    from oscp_flow.settings import Settings
    from oscp_flow.wiring import mailer

    def action(deps: Deps) -> None:
        settings = Settings()
        result = relay(deps, mailer(settings), config=settings, batch=batch)
        out.print(f"Sent {result.sent}, deferred {result.deferred}, failed {result.failed}.")

    run_action(action)
