"""Terms of reference for tests: an audit whose terms must be agreed needs them recorded
first (the ``terms_recorded`` gate), through the service or the command."""

from __future__ import annotations

from states.services import terms
from states.services.deps import Deps
from tests.support.partnership import email

TERMS = {
    "scope": "Cases open to two or more agencies on the audit's theme",
    "time_window": "Interventions in the 12 months before the audit started",
    "methodology": "Case file audit against the audit tool, then moderation",
    "sample_rationale": "Cases known to every returning agency",
    "timetable": "Returns within 20 working days; moderation within 10",
}


def record_terms(deps: Deps, reference: str, *, actor: str | None = None) -> None:
    terms.record_terms(deps, audit=reference, actor=actor or email("chair"), **TERMS)


def terms_options() -> list[str]:
    """The same terms as ``oscp audit terms`` options."""
    return [part for key, text in TERMS.items() for part in (f"--{key.replace('_', '-')}", text)]
