"""Forms read back from a page's HTML, and filled in as a person would: every question
answered with a value the form itself offers or says it accepts.

A person reads the page; so does this. Radio buttons and drop-downs are answered with one of
their own options, a number within the range the page states beside it, a date, and text
that names no one. Nothing here knows the audit tools: a form is answered from its HTML only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser

TEXT = "Seen in the agency's own records (evidence reference EV-0042); no names are recorded."
DATE = "2026-02-02"
# A question asked only when there is something to say (an immediate risk found): a person
# with nothing to report leaves it blank, as its hint tells them.
NONE_TO_SAY = "Leave blank if there is none"
_RANGE = re.compile(r"from (-?\d+)")


@dataclass
class Form:
    """One ``<form>``: where it posts and what it asks."""

    action: str
    hidden: dict[str, str] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)  # radios and drop-downs
    texts: dict[str, str] = field(default_factory=dict)  # name -> textarea, text or date
    described: dict[str, str] = field(default_factory=dict)  # name -> ids describing it
    checkboxes: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, list[str]] = field(default_factory=dict)

    def matches(self, wanted: Mapping[str, str]) -> bool:
        return all(self.hidden.get(name) == value for name, value in wanted.items())

    def filled(
        self, notes: Mapping[str, str], given: Mapping[str, str], pick: int
    ) -> dict[str, str]:
        """Every field answered: ``given`` first, else option ``pick`` of each choice, else a
        valid number, date or text. ``notes`` are the page's hints by id (number ranges)."""
        answers = dict(self.hidden)
        for name, options in self.choices.items():
            answers[name] = options[pick % len(options)]
        for name, kind in self.texts.items():
            answers[name] = self._typed(name, kind, notes)
        return answers | dict(given)

    def _typed(self, name: str, kind: str, notes: Mapping[str, str]) -> str:
        hints = " ".join(notes.get(i, "") for i in self.described.get(name, "").split())
        if NONE_TO_SAY in hints:  # nothing to report, as the page says to leave it so
            return ""
        if kind == "date":
            return DATE
        if kind == "textarea":
            return TEXT
        found = _RANGE.search(hints)
        return str(max(int(found[1]), 1)) if found else "1"


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.notes: dict[str, str] = {}
        self._note: str | None = None
        self._select: str | None = None
        self._open: Form | None = None  # fields outside a form (a locked return's) are not asked

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._open = Form(a.get("action", ""))
            self.forms.append(self._open)
        elif tag == "p" and a.get("id"):
            self._note = a["id"]
            self.notes[self._note] = ""
        elif self._open is not None:
            self._field(self._open, tag, a)

    def _field(self, form: Form, tag: str, a: dict[str, str]) -> None:
        name, value = a.get("name", ""), a.get("value", "")
        kind = a.get("type", "text")
        if tag == "input" and kind == "hidden":
            form.hidden[name] = value
        elif tag == "input" and kind == "radio":
            form.choices.setdefault(name, []).append(value)
        elif tag == "input" and kind == "checkbox":
            form.checkboxes[name] = value
        elif tag in ("input", "textarea") and name:
            form.texts[name] = "textarea" if tag == "textarea" else kind
            form.described[name] = a.get("aria-describedby", "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and value:
            form.choices.setdefault(self._select, []).append(value)
        elif tag == "button" and name:
            form.buttons.setdefault(name, []).append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None
        elif tag == "p":
            self._note = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._note is not None:
            self.notes[self._note] += data


def read_forms(html: str) -> tuple[list[Form], dict[str, str]]:
    """The page's forms, and the text of its hints by id (which say a number's range)."""
    reader = _Reader()
    reader.feed(html)
    return reader.forms, reader.notes
