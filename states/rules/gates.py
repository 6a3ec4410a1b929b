"""Gates: named rules a transition must pass, resolved from this registry by name.

YAML names a gate; it never carries code or import paths. Each gate returns ``None`` when it
passes or one plain sentence saying why not, so a blocked transition can list every reason.
Gates read what they need through ``AuditFacts``, which the persistence layer implements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from states.definitions.gate_names import DECLARED, GateName
from states.definitions.model import AuditTypeDefinition, TransitionDef
from states.definitions.sign_off import SignOffDef
from states.errors import GateFailure
from states.rules import sign_off
from states.rules.meetings import discussion_refusal
from states.rules.report_content import missing_sentence

# Re-exported: decisions were declared here before sign-off had its own module.
from states.rules.sign_off import Decision as Decision  # noqa: PLC0414
from states.rules.sign_off import Outcome
from states.rules.sign_off import SignOffDecision as SignOffDecision  # noqa: PLC0414


@dataclass(frozen=True)
class CaseWindow:
    reference: str
    last_intervention_on: date | None


class AuditFacts(Protocol):
    """What gates may ask about one audit. Implementations query lazily: only gates used pay."""

    def participation_count(self) -> int: ...
    def outstanding_returns(self) -> list[str]: ...
    def finding_counts(self) -> tuple[int, int]: ...
    def sign_off_decisions(self, round_: int) -> list[SignOffDecision]: ...
    def cases(self) -> list[CaseWindow]: ...
    def unassigned_cases(self) -> list[str]: ...
    def conflicted_assignments(self) -> list[tuple[str, str]]: ...
    def undeclared_assignments(self) -> list[tuple[str, str]]: ...
    def terms_recorded(self) -> bool: ...
    def open_escalations(self) -> list[str]: ...
    def deep_dive_count(self) -> int: ...
    def awaiting_feedback(self) -> list[str]: ...
    def open_actions(self) -> list[str]: ...
    def shared_items(self) -> set[str]: ...
    def empty_report_sections(self) -> list[str]: ...
    def meeting_counts(self) -> tuple[int, int]: ...  # (held, still scheduled)


@dataclass(frozen=True)
class GateContext:
    audit_reference: str
    audit_started_on: date
    lead_id: int | None
    sign_off_round: int
    actor_id: int
    actor_name: str
    actor_roles: frozenset[str]
    definition: AuditTypeDefinition
    transition: TransitionDef
    facts: AuditFacts
    reason: str | None
    # The audit's own sign-off rule when its report goes to other bodies than its type's
    # (a programme entry's ``report_to``); otherwise the definition's.
    sign_off: SignOffDef | None = None

    @property
    def sign_off_rule(self) -> SignOffDef | None:
        return self.sign_off or self.definition.sign_off


Check = Callable[[GateContext], str | None]


@dataclass(frozen=True)
class GateSpec:
    declared: GateName
    check: Check


GATES: dict[str, GateSpec] = {}


def gate(name: str) -> Callable[[Check], Check]:
    """Register the check for a gate declared in ``states.definitions.gate_names``."""

    def register(check: Check) -> Check:
        if name not in DECLARED or name in GATES:
            raise RuntimeError(f"gate '{name}' is not declared, or has a check already")
        GATES[name] = GateSpec(DECLARED[name], check)
        return check

    return register


def failures(ctx: GateContext, names: Sequence[str]) -> list[GateFailure]:
    found = []
    for name in names:
        reason = GATES[name].check(ctx)
        if reason is not None:
            found.append(GateFailure(name, reason))
    return found


def _listed(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


@gate("role_allowed")
def _role_allowed(ctx: GateContext) -> str | None:
    allowed = ctx.transition.roles
    if ctx.actor_roles.intersection(allowed):
        return None
    held = ", ".join(sorted(ctx.actor_roles)) or "no role"
    return f"only {' or '.join(allowed)} may do this, and {ctx.actor_name} holds {held}"


@gate("reason_given")
def _reason_given(ctx: GateContext) -> str | None:
    if ctx.transition.requires_reason and not (ctx.reason and ctx.reason.strip()):
        return "a reason must be given"
    return None


@gate("all_returns_in")
def _all_returns_in(ctx: GateContext) -> str | None:
    if ctx.facts.participation_count() == 0:
        return "no agencies have been asked to take part yet"
    outstanding = ctx.facts.outstanding_returns()
    if outstanding:
        return f"still waiting for returns from {_listed(outstanding)}"
    return None


@gate("findings_moderated")
def _findings_moderated(ctx: GateContext) -> str | None:
    total, unmoderated = ctx.facts.finding_counts()
    if total == 0:
        return "no findings have been recorded yet"
    if unmoderated:
        return f"{unmoderated} of {total} findings have not been moderated"
    return None


def _tallies(ctx: GateContext) -> tuple[SignOffDef, tuple[sign_off.Tally, ...]]:
    rule = ctx.sign_off_rule
    assert rule is not None  # guaranteed by the graph check on `needs`
    decisions = ctx.facts.sign_off_decisions(ctx.sign_off_round)
    return rule, sign_off.tallies(rule, decisions, author_id=ctx.lead_id)


@gate("sign_off_quorum")
def _sign_off_quorum(ctx: GateContext) -> str | None:
    rule, found = _tallies(ctx)
    decided = sign_off.outcome(found)
    if decided is Outcome.REFUSED:
        return sign_off.refused_by(rule, found)
    return None if decided is Outcome.APPROVED else sign_off.waiting_on(rule, found)


@gate("sign_off_refused")
def _sign_off_refused(ctx: GateContext) -> str | None:
    _, found = _tallies(ctx)
    if sign_off.outcome(found) is Outcome.REFUSED:
        return None
    return "no eligible member has refused sign-off in this round"


def months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def in_case_window(last_intervention_on: date | None, started_on: date, months: int) -> bool:
    """Whether a case had an intervention in the ``months`` before the audit started (the
    framework's "interventions that have occurred within the last 12 months"): the sampler
    draws only such cases, and the gate checks every case against the same rule."""
    if last_intervention_on is None:
        return False
    return months_before(started_on, months) <= last_intervention_on <= started_on


@gate("cases_within_window")
def _cases_within_window(ctx: GateContext) -> str | None:
    months = ctx.definition.case_window_months
    assert months is not None
    cases = ctx.facts.cases()
    if not cases:
        return "no cases have been sampled yet"
    start = months_before(ctx.audit_started_on, months)
    outside = [
        c.reference
        for c in cases
        if not in_case_window(c.last_intervention_on, ctx.audit_started_on, months)
    ]
    if outside:
        return (
            f"cases {_listed(outside)} had no intervention between {start:%d %B %Y} "
            f"and {ctx.audit_started_on:%d %B %Y}"
        )
    return None


@gate("auditors_independent")
def _auditors_independent(ctx: GateContext) -> str | None:
    conflicted = ctx.facts.conflicted_assignments()
    if conflicted:
        pairs = [f"{auditor} on {case}" for auditor, case in conflicted]
        return f"auditors declared involvement: {_listed(pairs)}"
    unassigned = ctx.facts.unassigned_cases()
    if unassigned:
        return f"cases {_listed(unassigned)} have no auditor yet"
    # Silence is not independence: each auditor says so for each case (the partnership's rule).
    undeclared = ctx.facts.undeclared_assignments()
    if undeclared:
        pairs = [f"{auditor} on {case}" for auditor, case in undeclared]
        return f"auditors have still to declare any involvement: {_listed(pairs)}"
    return None


@gate("terms_recorded")
def _terms_recorded(ctx: GateContext) -> str | None:
    if ctx.facts.terms_recorded():
        return None
    return "the terms of reference (scope, time window, methodology, timetable) are not recorded"


@gate("escalations_assured")
def _escalations_assured(ctx: GateContext) -> str | None:
    still_open = ctx.facts.open_escalations()
    if still_open:
        return f"immediate-risk concerns still await assurance from {_listed(still_open)}"
    return None


@gate("escalation_open")
def _escalation_open(ctx: GateContext) -> str | None:
    return (
        None if ctx.facts.open_escalations() else "no immediate-risk concern is awaiting assurance"
    )


@gate("deep_dive_selected")
def _deep_dive_selected(ctx: GateContext) -> str | None:
    if ctx.facts.deep_dive_count() == 0:
        return "no returns have been selected for the deep dive yet"
    return None


@gate("feedback_recorded")
def _feedback_recorded(ctx: GateContext) -> str | None:
    waiting = ctx.facts.awaiting_feedback()
    if waiting:
        return f"individual feedback is still to be recorded for {_listed(waiting)}"
    return None


@gate("actions_complete")
def _actions_complete(ctx: GateContext) -> str | None:
    owners = ctx.facts.open_actions()
    if not owners:
        return None
    per_owner = [f"{n} for {name}" for name, n in Counter(owners).items()]
    count = len(owners)
    return (
        f"{count} action{' is' if count == 1 else 's are'} still open "
        f"({_listed(per_owner)}); accept their evidence, carry them forward or withdraw them"
    )


@gate("dissemination_recorded")
def _dissemination_recorded(ctx: GateContext) -> str | None:
    plan = ctx.definition.dissemination
    if plan is None:  # an audit started before its type declared what it shares
        return None
    shared = ctx.facts.shared_items()
    # Every item by name, never "and 2 more": each is a step someone still has to take.
    waiting = [f"{i.title} ({i.id})" for i in plan.items if i.id not in shared]
    return f"still to record as shared: {', '.join(waiting)}" if waiting else None


@gate("report_written")
def _report_written(ctx: GateContext) -> str | None:
    empty = ctx.facts.empty_report_sections()
    return missing_sentence(empty) if empty else None


@gate("discussion_held")
def _discussion_held(ctx: GateContext) -> str | None:
    return discussion_refusal(*ctx.facts.meeting_counts())


# Every declared gate has its check: a name declared without one fails at import, not on the
# first transition that names it.
if set(GATES) != set(DECLARED):
    raise RuntimeError(f"gates declared without a check: {sorted(set(DECLARED) - set(GATES))}")
