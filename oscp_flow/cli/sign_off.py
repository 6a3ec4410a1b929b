"""The sign-off decisions ``oscp audit show`` prints: who decided, for which body, what and
when, and (to the audit's chair and coordinators) each comment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from states.clock import LONDON

if TYPE_CHECKING:
    from states.services.sign_off_views import SignOffView

WORDS = {"approve": "approved", "refuse": "refused"}


def show_sign_off(console: Console, view: SignOffView) -> None:
    if not view.signs_off:
        return
    console.print(f"Sign-off: signed off once {view.needs} have approved.")
    if not view.decisions:
        console.print("No sign-off decisions yet.")
        return
    table = Table(title="Sign-off decisions")
    columns = ["round", "when", "who", "for", "decision"]
    for column in columns + (["comment"] if view.comments_shown else []):
        table.add_column(column)
    for d in view.decisions:
        cells = [
            str(d.round),
            d.decided_at.astimezone(LONDON).strftime("%a %d %b %Y %H:%M"),
            escape(d.person),
            escape(", ".join(d.bodies)) or "—",
            WORDS[d.decision],
        ]
        if view.comments_shown:
            cells.append(escape(d.comment or ""))
        table.add_row(*cells)
    console.print(table)
