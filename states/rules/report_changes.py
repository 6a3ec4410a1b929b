"""What changed in a summary report between two frozen versions, section by section.

Members who refused a version are asked to sign off the next: they read what the chair
changed, paragraph by paragraph and list item by list item (split as the report prints them:
at blank lines, and a list at each "- " line), rather than comparing two documents by eye. A
paragraph edited in place shows as the old one removed and the new one added.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from states.rules.report_content import SECTIONS

_BLANK_LINE = re.compile(r"\n\s*\n")
# As the report reads a list: every line of the paragraph starts "- ", "* " or "• ".
_BULLET = re.compile(r"^[-*\u2022]\s+")


class Change(StrEnum):
    KEPT = "kept"
    REMOVED = "removed"
    ADDED = "added"


@dataclass(frozen=True)
class Paragraph:
    change: Change
    text: str


@dataclass(frozen=True)
class SectionChanges:
    section: str
    paragraphs: tuple[Paragraph, ...]

    @property
    def changed(self) -> bool:
        return any(p.change != Change.KEPT for p in self.paragraphs)


def paragraphs(text: str) -> list[str]:
    """The units compared: paragraphs, and each item of a bulleted list on its own (a
    recommendation added to a list is one change, not the whole list rewritten)."""
    found: list[str] = []
    for chunk in _BLANK_LINE.split(text.replace("\r\n", "\n").strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if lines and all(_BULLET.match(line) for line in lines):
            found += lines
        elif lines:
            found.append("\n".join(lines))
    return found


def section_changes(before: str, after: str) -> tuple[Paragraph, ...]:
    old, new = paragraphs(before), paragraphs(after)
    found: list[Paragraph] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            found += [Paragraph(Change.KEPT, p) for p in old[i1:i2]]
            continue
        found += [Paragraph(Change.REMOVED, p) for p in old[i1:i2]]
        found += [Paragraph(Change.ADDED, p) for p in new[j1:j2]]
    return tuple(found)


def report_changes(
    before: Mapping[str, str], after: Mapping[str, str]
) -> tuple[SectionChanges, ...]:
    """Every section, in the report's order, with its paragraphs kept, removed and added."""
    return tuple(
        SectionChanges(s, section_changes(before.get(s, ""), after.get(s, ""))) for s in SECTIONS
    )
