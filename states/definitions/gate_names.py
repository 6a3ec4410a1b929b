"""The gates a definition may name, declared here so that loading a definition can check its
gates without importing the rules that implement them (``states.rules.gates`` registers one
check per name and refuses a check for a name not declared here, or a name left without one).

``needs`` names the definition block a gate reads: a definition naming the gate must set it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Needs = Literal["case_window_months", "sign_off", "dissemination"]


@dataclass(frozen=True)
class GateName:
    name: str
    description: str
    needs: Needs | None = None


# The names other modules refer to, so a typo is a NameError rather than a silent mismatch.
ROLE_ALLOWED = "role_allowed"
REASON_GIVEN = "reason_given"
ALL_RETURNS_IN = "all_returns_in"
FINDINGS_MODERATED = "findings_moderated"
SIGN_OFF_QUORUM = "sign_off_quorum"
SIGN_OFF_REFUSED = "sign_off_refused"
CASES_WITHIN_WINDOW = "cases_within_window"
AUDITORS_INDEPENDENT = "auditors_independent"
ESCALATIONS_ASSURED = "escalations_assured"
ESCALATION_OPEN = "escalation_open"
DEEP_DIVE_SELECTED = "deep_dive_selected"
FEEDBACK_RECORDED = "feedback_recorded"
ACTIONS_COMPLETE = "actions_complete"
TERMS_RECORDED = "terms_recorded"
DISSEMINATION_RECORDED = "dissemination_recorded"
REPORT_WRITTEN = "report_written"
DISCUSSION_HELD = "discussion_held"

# Applied to every transition by the compiler; YAML never lists them.
IMPLICIT_GATES = (ROLE_ALLOWED, REASON_GIVEN)

DECLARED: dict[str, GateName] = {
    g.name: g
    for g in (
        GateName(
            ROLE_ALLOWED, "The person firing the trigger holds one of the transition's roles."
        ),
        GateName(REASON_GIVEN, "A reason is recorded when the transition asks for one."),
        GateName(ALL_RETURNS_IN, "Every agency required to take part has submitted its return."),
        GateName(FINDINGS_MODERATED, "Findings exist and every one has been moderated."),
        GateName(SIGN_OFF_QUORUM, "Enough eligible members approved and none refused.", "sign_off"),
        GateName(SIGN_OFF_REFUSED, "An eligible member refused sign-off this round.", "sign_off"),
        GateName(
            CASES_WITHIN_WINDOW,
            "Cases are sampled and each had an intervention in the window before the audit "
            "started.",
            "case_window_months",
        ),
        GateName(
            AUDITORS_INDEPENDENT,
            "Every sampled case has an auditor, every auditor has declared whether they were "
            "involved in their case, and none declared involvement.",
        ),
        GateName(
            ESCALATIONS_ASSURED,
            "Every immediate-risk concern raised has been answered with assurance.",
        ),
        GateName(ESCALATION_OPEN, "There is an immediate-risk concern awaiting assurance."),
        GateName(DEEP_DIVE_SELECTED, "Returns have been sampled for the deep dive (Section 175)."),
        GateName(
            FEEDBACK_RECORDED,
            "Every agency owed individual feedback has it recorded: each setting sampled for "
            "a deep dive (Section 175), or, with no deep dive, each agency that returned "
            "(Section 11).",
        ),
        GateName(
            ACTIONS_COMPLETE,
            "Every action of the audit's plan is accepted, carried forward or withdrawn.",
        ),
        GateName(
            TERMS_RECORDED,
            "The terms of reference (scope, time window, methodology, tool, sample rationale "
            "and timetable) are recorded.",
        ),
        GateName(
            DISSEMINATION_RECORDED,
            "Every item the type must share is recorded as shared, with its date and channel.",
            "dissemination",
        ),
        GateName(
            REPORT_WRITTEN,
            "The summary report's four sections (what is working well, emerging concerns, "
            "recommendations, reflection on the process of the audit) each have text. Every "
            "way into a signing-off state checks it, named in the YAML or not: submitting "
            "freezes the report.",
        ),
        GateName(
            DISCUSSION_HELD,
            "The multi-agency audit discussion was held (its start passed and who attended "
            "is recorded) and no discussion is still scheduled to come.",
        ),
    )
}
