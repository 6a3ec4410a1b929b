"""What the partnership does on the calendar: a safeguarding effectiveness report each quarter
and a review of the audit programme each year (framework section 3), each started once.

The worker's tick asks each time it runs; a request key per quarter or year makes every ask
after the first return the same audit, so downtime over a quarter's start only delays it and
two workers cannot start it twice.
"""

from __future__ import annotations

from states.clock import LONDON
from states.rules.quarters import Quarter
from states.services.audits import Fired, start_audit
from states.services.deps import Deps

QUARTERLY_REPORT = "effectiveness_report"
PROGRAMME_REVIEW = "programme_review"


def _this_quarter(deps: Deps) -> Quarter:
    return Quarter.of(deps.clock.now().astimezone(LONDON).date())


def ensure_quarterly_report(deps: Deps, *, coordinator: str, lead: str) -> Fired:
    """The current quarter's report audit, started now if nobody has started it yet."""
    quarter = _this_quarter(deps)
    return start_audit(
        deps,
        audit_type=QUARTERLY_REPORT,
        theme=f"Safeguarding effectiveness report {quarter.partnership_label}",
        lead=lead,
        actor=coordinator,
        started_on=quarter.starts_on,
        request_key=f"{QUARTERLY_REPORT}:{quarter.partnership_label}",
    )


def ensure_programme_review(deps: Deps, *, coordinator: str, lead: str) -> Fired:
    """This partnership year's review of the programme, started now if not started yet."""
    year = _this_quarter(deps).partnership_year
    return start_audit(
        deps,
        audit_type=PROGRAMME_REVIEW,
        theme=f"Annual review of the audit programme {year}",
        lead=lead,
        actor=coordinator,
        request_key=f"{PROGRAMME_REVIEW}:{year}",
    )
