"""Small pieces of English shared by the e-mails, the reports and the command line: a count
with its noun, and a name's possessive, so no sentence reads "1 letter(s)" or "services's"."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """The noun for ``count`` of it: ``plural(1, "letter")`` is "letter", 2 gives "letters"."""
    return one if count == 1 else (many or f"{one}s")


def counted(count: int, one: str, many: str | None = None) -> str:
    """ "1 letter", "2 letters", "0 letters"."""
    return f"{count:,} {plural(count, one, many)}"


def possessive(name: str, apostrophe: str = "'") -> str:
    """ "Police's", "Community health services'": a name ending in s takes the apostrophe
    alone (the plain-English house style for plural-looking names). HTML passes the
    typographic apostrophe its pages use."""
    name = name.strip()
    if not name:
        return name
    return f"{name}{apostrophe}" if name.endswith(("s", "S")) else f"{name}{apostrophe}s"
