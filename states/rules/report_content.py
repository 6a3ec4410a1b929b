"""What a summary report must hold, and the fingerprint of a frozen version.

The framework's "Lessons and actions" asks every summary report for four sections: what is
working well, emerging concerns, recommendations, and a reflection on the process of the
audit. A report goes for sign-off only with all four written, and what goes is frozen: its
version number, the four sections' text and the figures it was built from, identified by the
SHA-256 of one canonical serialisation of them. The serialisation is JSON with sorted keys, no
insignificant whitespace and UTF-8 text, so the same frozen content always gives the same
hash, whichever store, process or Python version computes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

# In the order the report shows them.
SECTIONS = ("working_well", "emerging_concerns", "recommendations", "reflection")
# How a sentence names each section.
SECTION_NAMES: Mapping[str, str] = {
    "working_well": "what is working well",
    "emerging_concerns": "emerging concerns",
    "recommendations": "recommendations",
    "reflection": "reflection on the process of the audit",
}


def empty_sections(narrative: Mapping[str, str]) -> list[str]:
    """The sections with no text yet, in the report's order."""
    return [s for s in SECTIONS if not narrative.get(s, "").strip()]


def missing_sentence(empty: list[str]) -> str:
    """One plain phrase naming the empty sections: "emerging concerns and recommendations"."""
    names = [SECTION_NAMES[s] for s in empty]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"the summary report has no text yet for {listed}"


def canonical(
    *, reference: str, version: int, narrative: Mapping[str, str], figures_json: str
) -> bytes:
    """The frozen content as bytes: the audit, the version, the four sections and the figures.

    The figures come as the JSON they are stored as and are parsed, not re-dumped from the
    model, so a field added to the model later cannot change the hash of an older version."""
    content = {
        "audit": reference,
        "kind": "summary",
        "version": version,
        "sections": {s: narrative.get(s, "") for s in SECTIONS},
        "figures": json.loads(figures_json),
    }
    text = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def content_hash(
    *, reference: str, version: int, narrative: Mapping[str, str], figures_json: str
) -> str:
    """The SHA-256 (hex) of ``canonical``."""
    serialised = canonical(
        reference=reference, version=version, narrative=narrative, figures_json=figures_json
    )
    return hashlib.sha256(serialised).hexdigest()
