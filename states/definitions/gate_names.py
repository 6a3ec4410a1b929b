"""The gates a definition may name, declared here so that loading a definition can check its
gates without importing the rules that implement them (``states.rules.gates`` registers one
check per name and refuses a check for a name not declared here, or a name left without one).

``needs`` names the definition block a gate reads: a definition naming the gate must set it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Needs = Literal["case_window_months", "sign_off"]


@dataclass(frozen=True)
class GateName:
    name: str
    description: str
    needs: Needs | None = None


# Applied to every transition by the compiler; YAML never lists them.
IMPLICIT_GATES = ("role_allowed", "reason_given")

DECLARED: dict[str, GateName] = {
    g.name: g
    for g in (
        GateName(
            "role_allowed", "The person firing the trigger holds one of the transition's roles."
        ),
        GateName("reason_given", "A reason is recorded when the transition asks for one."),
        GateName("all_returns_in", "Every agency required to take part has submitted its return."),
        GateName("findings_moderated", "Findings exist and every one has been moderated."),
        GateName(
            "sign_off_quorum", "Enough eligible members approved and none refused.", "sign_off"
        ),
        GateName("sign_off_refused", "An eligible member refused sign-off this round.", "sign_off"),
        GateName(
            "cases_within_window",
            "Cases are sampled and each had an intervention in the window before the audit "
            "started.",
            "case_window_months",
        ),
        GateName(
            "auditors_independent",
            "Every sampled case has an auditor and no auditor declared involvement in their case.",
        ),
        GateName(
            "escalations_assured",
            "Every immediate-risk concern raised has been answered with assurance.",
        ),
        GateName("escalation_open", "There is an immediate-risk concern awaiting assurance."),
        GateName(
            "deep_dive_selected", "Returns have been sampled for the deep dive (Section 175)."
        ),
        GateName(
            "feedback_recorded",
            "Every setting sampled for the deep dive has its individual feedback.",
        ),
        GateName(
            "actions_complete",
            "Every action of the audit's plan is accepted, carried forward or withdrawn.",
        ),
    )
}
