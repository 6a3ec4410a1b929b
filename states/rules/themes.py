"""An audit's theme as the plan words it, cut to the length an audit's theme may have.

Programme entries quote the framework's cells, some longer than an audit's theme; both the
start of a one-off entry and each time round of a recurring one make a theme from them.
"""

from __future__ import annotations

THEME_LIMIT = 200  # audit_cycle.theme


def short_theme(theme: str, limit: int = THEME_LIMIT) -> str:
    """An audit's theme is at most ``limit`` characters: a longer plan theme is cut at a word
    and marked with an ellipsis, so it still reads as the plan's words."""
    theme = " ".join(theme.split())
    if len(theme) <= limit:
        return theme
    cut = theme[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    # \u2013 is an en dash, which the framework uses between words.
    return cut.rstrip(" ,.;:-\u2013") + "…"
