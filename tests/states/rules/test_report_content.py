"""What a summary report must hold, the fingerprint of a frozen version, and what changed
between two versions: pure rules, no database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from states.rules.report_changes import Change, Paragraph, paragraphs, report_changes
from states.rules.report_content import (
    SECTIONS,
    canonical,
    content_hash,
    empty_sections,
    missing_sentence,
)

WORDS = {
    "working_well": "Strategy meetings were held on time.",
    "emerging_concerns": "Siblings were not always seen — nor heard.",
    "recommendations": "- Record the child's lived experience",
    "reflection": "The tool worked.",
}
FIGURES = '{"reference": "AUD-1", "cases": 3, "by_section": [{"key": "s1", "counts": [1, 2]}]}'


def _hash(
    *,
    reference: str = "AUD-1",
    version: int = 1,
    narrative: Mapping[str, str] = WORDS,
    figures_json: str = FIGURES,
) -> str:
    return content_hash(
        reference=reference, version=version, narrative=narrative, figures_json=figures_json
    )


def test_the_empty_sections_are_named_in_the_reports_order() -> None:
    assert empty_sections(WORDS) == []
    assert empty_sections({"reflection": "x", "working_well": "  \n"}) == [
        "working_well",
        "emerging_concerns",
        "recommendations",
    ]
    assert missing_sentence(["reflection"]) == (
        "the summary report has no text yet for reflection on the process of the audit"
    )
    assert missing_sentence(["working_well", "emerging_concerns", "recommendations"]) == (
        "the summary report has no text yet for what is working well, emerging concerns "
        "and recommendations"
    )


def test_the_hash_is_of_one_canonical_serialisation() -> None:
    serialised = canonical(reference="AUD-1", version=1, narrative=WORDS, figures_json=FIGURES)
    assert _hash() == hashlib.sha256(serialised).hexdigest()
    content = json.loads(serialised)
    assert content == {
        "audit": "AUD-1",
        "kind": "summary",
        "version": 1,
        "sections": WORDS,
        "figures": json.loads(FIGURES),
    }
    text = serialised.decode("utf-8")
    assert "—" in text and ", " not in text.replace(", nor", "")  # UTF-8, no padding
    assert list(content) == sorted(content)


def test_the_hash_ignores_how_the_same_content_was_laid_out() -> None:
    reordered = dict(reversed(list(WORDS.items())))
    spaced = json.dumps(json.loads(FIGURES), indent=2, sort_keys=False)
    assert _hash(narrative=reordered, figures_json=spaced) == _hash()
    # Sections the report does not hold are not part of what is frozen.
    assert _hash(narrative={**WORDS, "stray": "x"}) == _hash()


def test_the_hash_changes_with_anything_frozen() -> None:
    changed = [
        _hash(reference="AUD-2"),
        _hash(version=2),
        _hash(narrative={**WORDS, "reflection": "The tool worked!"}),
        _hash(figures_json=FIGURES.replace('"cases": 3', '"cases": 4')),
    ]
    assert _hash() not in changed and len(set(changed)) == len(changed)


def test_changes_are_shown_paragraph_by_paragraph_in_every_section() -> None:
    before = {**WORDS, "recommendations": "First.\n\nSecond, as it was.\n\nThird."}
    after = {**WORDS, "recommendations": "First.\n\nSecond, resourced from April.\r\n\r\nThird."}
    changes = report_changes(before, after)
    assert [c.section for c in changes] == list(SECTIONS)
    assert [c.changed for c in changes] == [False, False, True, False]
    assert changes[2].paragraphs == (
        Paragraph(Change.KEPT, "First."),
        Paragraph(Change.REMOVED, "Second, as it was."),
        Paragraph(Change.ADDED, "Second, resourced from April."),
        Paragraph(Change.KEPT, "Third."),
    )
    added = report_changes({}, {"reflection": "New."})[3]
    assert added.paragraphs == (Paragraph(Change.ADDED, "New."),)
    assert paragraphs("  one\n two \n\n\n three  ") == ["one\ntwo", "three"]
    # A list's items are compared one by one, as the report prints them.
    listed = report_changes(
        {"recommendations": "Intro.\n- Not a list: one paragraph\n\n- First\n- Second"},
        {"recommendations": "Intro.\n- Not a list: one paragraph\n\n- First\n* Added\n- Second"},
    )[2]
    assert listed.paragraphs == (
        Paragraph(Change.KEPT, "Intro.\n- Not a list: one paragraph"),
        Paragraph(Change.KEPT, "- First"),
        Paragraph(Change.ADDED, "* Added"),
        Paragraph(Change.KEPT, "- Second"),
    )
