"""What every ``oscp`` command shares: the Typer apps, the consoles, who is acting, and
engine errors as one plain line. Heavy modules are imported inside commands so ``oscp --help`` stays
fast (and never imports Prefect). Engine errors become one plain line and an exit code:
1 for anything the person can put right (a typo, a closed audit, a stale version), 4 when the
person may not do this at all (``PermissionDenied``: they lack the role), 3 for a bug.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from states.errors import AuditEngineError
    from states.services.deps import Deps

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Run the OSCP audit programme: definitions, audits and their history.",
)
definitions_app = typer.Typer(no_args_is_help=True, help="Check and draw audit type definitions.")
audit_app = typer.Typer(no_args_is_help=True, help="Start audits, move them on, and inspect them.")
db_app = typer.Typer(no_args_is_help=True, help="Look after the engine's database.")
directory_app = typer.Typer(
    no_args_is_help=True,
    help="The partnership's directory: agencies, settings, people and the bodies that decide.",
)
body_app = typer.Typer(no_args_is_help=True, help="The bodies that decide, and their members.")
app.add_typer(definitions_app, name="definitions")
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
app.add_typer(directory_app, name="directory")
app.add_typer(body_app, name="body")

# Not a mistake the person can retype their way out of, so scripts can tell it apart.
EXIT_PERMISSION_DENIED = 4

out = Console()
err = Console(stderr=True)

AsPerson = Annotated[
    str | None, typer.Option("--as", help="E-mail of the person acting (or OSCP_ACTOR).")
]


@contextmanager
def plain_errors() -> Iterator[None]:
    """Anything the engine raises on purpose is one sentence for a person, not a traceback.
    A database that cannot be used says why (read-only, full, absent, refusing the login,
    not listening) in the engine's own sentence, wherever it failed: inside a unit of work
    or before one, as when the schema is checked at start-up."""
    from states.errors import AuditEngineError, PermissionDenied

    try:
        yield
    except PermissionDenied as exc:
        _refuse(str(exc), code=EXIT_PERMISSION_DENIED)
    except AuditEngineError as exc:
        _refuse(str(exc))
    except typer.Exit:
        raise
    except Exception as exc:
        said = _in_engine_words(exc)
        if said is not None:
            _refuse(str(said))
        # A bug, not a person's mistake. The traceback can carry values typed into the
        # system, so it is shown only when asked for, never written to a log file.
        if os.environ.get("OSCP_DEBUG"):
            raise
        err.print(
            f"[bold red]Error:[/] the engine failed unexpectedly ({type(exc).__name__}); "
            "run the command again with OSCP_DEBUG=1 to see why, and report it.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(3) from None


def _refuse(sentence: str, *, code: int = 1) -> NoReturn:
    err.print(f"[bold red]Error:[/] {sentence}", highlight=False, soft_wrap=True)
    raise typer.Exit(code) from None


def _in_engine_words(exc: Exception) -> AuditEngineError | None:
    """A database's failure (a broken constraint, a store that cannot be used) in the
    engine's words, for the database the settings name; ``None`` for anything else."""
    from oscp_flow.settings import Settings
    from states.persistence.db import escaped_error

    return escaped_error(exc, lambda: Settings().resolved_database_url)


@app.callback()
def start() -> None:
    """Before any command: files private to this user, and settings checked once, so a bad
    one is one sentence now rather than a failure halfway through the work."""
    from oscp_flow.home import keep_files_private, tighten_home
    from oscp_flow.settings import Settings, load

    keep_files_private()
    with plain_errors():
        tighten_home(load(Settings).home)


def build_deps() -> Deps:
    from oscp_flow.wiring import build

    return build()


def acting_person(given: str | None) -> str:
    from oscp_flow.settings import Settings

    actor = given or Settings().actor
    if not actor:
        err.print("[bold red]Error:[/] say who is acting with --as EMAIL (or set OSCP_ACTOR).")
        raise typer.Exit(2)
    return actor


def run_action(action: Callable[[Deps], None]) -> None:
    with plain_errors():
        action(build_deps())
