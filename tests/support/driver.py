"""Brings an audit to the state a test needs, through the engine's public services.

A test asks for an audit "collecting returns" or "awaiting sign-off"; the driver starts one
as the coordinator would (``audits.start_audit``), then fires the audit's own transitions
one by one, each as a person holding the transition's role, doing first what each gate
asks: it draws the case sample from a list (``sampling.select_sample``, as ``oscp audit
sample`` does), assigns auditors, has every agency lead submit a complete return, moderates
the findings, writes the summary report, records the sign-off decisions, selects the deep
dive, records feedback, records what the audit shared and evidences the actions. Nothing is
written behind the services' back and no gate is skipped, so what a test sees after the
drive is what the partnership would see.

The people are the tests' partnership (``tests.support.partnership``), never the demo's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from states.clock import LONDON
from states.definitions import gate_names as gate
from states.definitions.graph import expand_sources, main_path
from states.definitions.model import AuditTypeDefinition, TransitionDef
from states.definitions.tool import ToolDefinition
from states.errors import NotFound
from states.rules.action_plan import OUTSTANDING, OWED
from states.rules.answers import in_phase
from states.rules.case_list import CaseCandidate
from states.services import (
    actions,
    attendees,
    auditors,
    audits,
    deep_dive,
    findings,
    partnership,
    queries,
    reports,
    returns,
    sampling,
    shared_items,
    sign_off_views,
    terms,
    work,
)
from states.services.audits import Fired
from states.services.deps import Deps
from tests.support.partnership import approvers, email

# The agencies that take part in a driven audit, by code, with their lead's e-mail local part.
RETURNING: Mapping[str, str] = {
    "police": "lead.police",
    "csc": "lead.csc",
    "community_health": "lead.health",
}
# Who fires a transition: a person holding its first role.
ACTOR_FOR_ROLE = {
    "coordinator": "coordinator",
    "chair": "chair",
    "system": "system",
    "learning_hub_member": "lhm",
    "statutory_partner": "lsp.police",
    "sign_off_member": "lhm",
    "auditor": "auditor.two",
    "agency_lead": "lead.police",
    "strategic_lead": "lsp.police",
}
# Every free-text answer starts so: tests check it never leaves the return it was typed into.
FREE_TEXT = "Recorded by the audit test driver"
SAMPLED_CASES = 3
# What the chair writes in each section of a driven audit's summary report.
REPORT: Mapping[str, str] = {
    "working_well": "Agencies shared information quickly at the front door.",
    "emerging_concerns": "Other children in the household were not always considered.",
    "recommendations": "- Every agency records the child's lived experience",
    "reflection": "The tool worked; auditors asked for more guidance on ratings.",
}
TRAINING_COURSE = "Neglect and GCP2"
TRAINING_COHORT = "2026-09"

Answers = Callable[[ToolDefinition, int, str | None], dict[str, object]]


def complete_answers(
    tool: ToolDefinition, variant: int = 0, phase: str | None = None
) -> dict[str, object]:
    """A complete, valid return for any tool (or one phase of it). ``variant`` n gives every
    rating the tool's n-th grade (so the first agency rates all green, the second amber...)."""
    answers: dict[str, object] = {}
    for q in in_phase(tool, phase).values():
        if q.immediate_risk:  # any other answer would escalate an immediate-risk concern
            answers[q.id] = tool.no_risk_answer(q)
            continue
        if q.type == "rating":
            grades = tool.scales[q.scale or ""].grades
            answers[q.id] = grades[variant % len(grades)].value
        elif q.type == "yes_no_partly":
            answers[q.id] = ("yes", "partly", "no")[variant % 3]
        elif q.type == "number":
            answers[q.id] = max(q.minimum or 0, 1)
        elif q.type == "date":
            answers[q.id] = "2026-02-02"
        elif q.type == "choice":
            answers[q.id] = (q.options or [])[0].value
        else:
            answers[q.id] = f"{FREE_TEXT}; see the agency's own records."
    return answers


@dataclass(frozen=True)
class Cast:
    """How the agencies play their part: who returns (agency code -> lead's e-mail local
    part), what they answer (the n-th returning agency gives ``answers(tool, n, phase)``),
    and what share of the settings not rated red the deep dive also takes."""

    returning: Mapping[str, str] = field(default_factory=lambda: dict(RETURNING))
    answers: Answers = complete_answers
    deep_dive_percent: int = 50


def transition_from(definition: AuditTypeDefinition, state: str, trigger: str) -> TransitionDef:
    return next(
        t
        for t in definition.transitions
        if t.trigger == trigger and state in expand_sources(definition, t.sources)
    )


class Driver:
    """Moves one audit on as its partnership would."""

    def __init__(
        self,
        deps: Deps,
        reference: str,
        *,
        started_on: date | None = None,
        cast: Cast | None = None,
    ) -> None:
        self.deps = deps
        self.reference = reference
        self.started_on = started_on or deps.clock.now().astimezone(LONDON).date()
        self.cast = cast or Cast()
        self.cases: list[str] = []
        # Attendee reference -> their agency (a training audit's returns are per attendee).
        self.attended: dict[str, str] = {}
        self._invited = False
        self._assigned = False
        # What each gate needs done before the transition it guards is fired.
        self._before: dict[str, Callable[[], None]] = {
            gate.CASES_WITHIN_WINDOW: self.sample_cases,
            gate.AUDITORS_INDEPENDENT: self.assign_auditors,
            gate.ALL_RETURNS_IN: self.collect_returns,
            gate.FINDINGS_MODERATED: self.moderate_findings,
            gate.SIGN_OFF_QUORUM: self.approve,
            gate.SIGN_OFF_REFUSED: self.refuse,
            gate.DEEP_DIVE_SELECTED: self.select_deep_dive,
            gate.FEEDBACK_RECORDED: self.give_feedback,
            gate.ACTIONS_COMPLETE: self.complete_actions,
            gate.TERMS_RECORDED: self.record_terms,
            gate.DISSEMINATION_RECORDED: self.share_learning,
            gate.REPORT_WRITTEN: self.write_report,
        }

    @classmethod
    def start(
        cls, deps: Deps, audit_type: str, *, theme: str = "Driven", cast: Cast | None = None
    ) -> Driver:
        """An audit started by the coordinator and chaired by the chair."""
        started = audits.start_audit(
            deps,
            audit_type=audit_type,
            theme=theme,
            lead=email("chair"),
            actor=email("coordinator"),
        )
        return cls(deps, started.reference, cast=cast)

    def state(self) -> str:
        return self._status().state

    def definition(self) -> AuditTypeDefinition:
        return self.deps.catalogue.current(self._status().audit_type).definition

    def advance(self, to: str = "closed") -> list[Fired]:
        """Fires the audit's transitions from where it is to ``to``; returns what each did."""
        return list(self.steps(to))

    def steps(self, to: str = "closed") -> Iterator[Fired]:
        """As ``advance``, one transition each time the caller asks for the next, so a test
        can act (move the clock, look at the audit) between them."""
        self.invite_agencies()
        definition, state = self.definition(), self.state()
        # The whole process (sampled, audited, moderated, signed off...), never a shortcut
        # such as closing an exception at triage.
        for step in main_path(definition, state, to):
            yield self._fire(transition_from(definition, state, step.trigger))
            state = step.dest

    def fire(self, trigger: str) -> Fired:
        """Fires ``trigger`` from the audit's state, doing first what its gates ask."""
        definition = self.definition()
        return self._fire(transition_from(definition, self.state(), trigger))

    def _fire(self, transition: TransitionDef) -> Fired:
        compiled = self.deps.catalogue.current(self._status().audit_type)
        for name in compiled.gates_of(transition):
            if name in self._before:
                self._before[name]()
        return audits.fire(
            self.deps,
            audit=self.reference,
            trigger=transition.trigger,
            actor=email(ACTOR_FOR_ROLE[transition.roles[0]]),
            reason="Recorded by the test driver" if transition.requires_reason else None,
        )

    def _status(self) -> queries.AuditStatus:
        return queries.audit_status(self.deps, audit=self.reference, as_person=email("coordinator"))

    def invite_agencies(self) -> None:
        """The returning agencies take part from the start: their leads act only in audits
        they are part of."""
        if not self._invited:
            work.invite_agencies(
                self.deps,
                audit=self.reference,
                actor=email("coordinator"),
                agencies=list(self.cast.returning),
            )
            self._invited = True

    def sample_cases(self) -> None:
        """Draws three cases from a list, each known to every returning agency and each with
        an intervention within the window before the audit started."""
        first = len(self.cases) + 1
        offered = [
            CaseCandidate(
                reference=f"{self.reference}-C{n:02d}",
                agencies=tuple(self.cast.returning),
                first_intervention_on=self.started_on - timedelta(days=300),
                last_intervention_on=self.started_on - timedelta(days=30 * n),
            )
            for n in range(first, first + SAMPLED_CASES)
        ]
        drawn = sampling.select_sample(
            self.deps,
            audit=self.reference,
            actor=email("coordinator"),
            candidates=offered,
            method="list",
        )
        self.cases.extend(drawn.chosen)

    def record_terms(self) -> None:
        """The chair records the terms of reference before they are agreed."""
        terms.record_terms(
            self.deps,
            audit=self.reference,
            actor=email("chair"),
            scope="Cases open to two or more agencies on the audit's theme",
            time_window="Interventions in the 12 months before the audit started",
            methodology="Multi-agency case file audit against the audit tool",
            sample_rationale="Cases known to every returning agency",
            timetable="Returns within 20 working days; moderation within 10",
        )

    def assign_auditors(self) -> None:
        """The first auditor declared involvement in the first case's management, so the
        second audits that one and the first audits the rest; each declares no involvement."""
        if self._assigned:
            return
        self._assigned = True
        for n, case in enumerate(self.cases):
            if n == 0:
                partnership.declare_conflict(
                    self.deps,
                    person=email("auditor.one"),
                    case_reference=case,
                    involvement="management",
                )
            auditor = "auditor.two" if n == 0 else "auditor.one"
            work.assign_auditor(
                self.deps,
                audit=self.reference,
                actor=email("coordinator"),
                case=case,
                auditor=email(auditor),
            )
            auditors.declare(
                self.deps,
                audit=self.reference,
                actor=email(auditor),
                case=case,
                involvement="none",
            )

    def collect_returns(self) -> None:
        """Every returning agency submits the tool (for this stage's phase): once, or once per
        sampled case; returns someone already submitted are left as they are."""
        status = self._status()
        tool = self.deps.catalogue.tool(status.audit_type)
        assert tool is not None, "the driver needs the audit tools loaded"
        phase = self.definition().state(status.state).phase
        if tool.completed_per == "attendee" and not self.cases:
            self.register_attendees()
        elif tool.completed_per != "agency" and not self.cases:
            self.sample_cases()
        cases = [None] if tool.completed_per == "agency" else list(self.cases)
        for n, (agency, lead) in enumerate(self.cast.returning.items()):
            for case in cases:
                if self.attended.get(case or "", agency) == agency:
                    self._submit(tool, phase, n, agency, email(lead), case)

    def register_attendees(self) -> None:
        """The coordinator registers one attendee of each returning agency, all on one course
        and cohort."""
        for agency in self.cast.returning:
            made = attendees.register_attendees(
                self.deps,
                audit=self.reference,
                actor=email("coordinator"),
                new=attendees.attendees(
                    agency=agency, course=TRAINING_COURSE, cohort=TRAINING_COHORT, count=1
                ),
            )
            self.cases.extend(made)
            self.attended.update(dict.fromkeys(made, agency))

    def _submit(
        self,
        tool: ToolDefinition,
        phase: str | None,
        n: int,
        agency: str,
        lead: str,
        case: str | None,
    ) -> None:
        mine = returns.read(self.deps, audit=self.reference, actor=lead, agency=agency, case=case)
        if mine.status == "submitted":
            return
        returns.submit(
            self.deps,
            audit=self.reference,
            actor=lead,
            agency=agency,
            case=case,
            answers=self.cast.answers(tool, n, phase),
        )

    def moderate_findings(self) -> None:
        """The chair confirms every finding (recording one strength when there is none)."""
        waiting = [
            f.id for f in findings.list_findings(self.deps, audit=self.reference) if not f.moderated
        ]
        if not waiting:
            waiting = [
                findings.record_finding(
                    self.deps,
                    audit=self.reference,
                    actor=email("chair"),
                    kind="strength",
                    summary="Timely information sharing at the front door",
                )
            ]
        for finding in waiting:
            findings.moderate(
                self.deps, audit=self.reference, actor=email("chair"), finding_id=finding
            )

    def share_learning(self) -> None:
        """The coordinator records each item the type shares still waiting, by its first
        channel, today (as ``oscp audit shared`` does)."""
        today = self.deps.clock.now().astimezone(LONDON).date()
        for item in shared_items.sharing_of(self.deps, audit=self.reference).waiting:
            shared_items.record_shared(
                self.deps,
                audit=self.reference,
                actor=email("coordinator"),
                item=item.id,
                channel=item.channels[0],
                on=today,
            )

    def write_report(self) -> None:
        """The chair writes each section of the summary report still empty (a test's own
        words are kept), so it can go for sign-off."""
        written = reports.summary_source(self.deps, audit=self.reference).narrative
        for section, text in REPORT.items():
            if not written.get(section, "").strip():
                reports.save_narrative(
                    self.deps,
                    audit=self.reference,
                    actor=email("chair"),
                    section=section,
                    text=text,
                )

    def approve(self) -> None:
        """A quorum of every body the audit's type names, never the chair (its author)."""
        for member in approvers(sign_off_views.rule_of(self.deps, audit=self.reference)):
            work.record_sign_off_decision(
                self.deps, audit=self.reference, actor=email(member), decision="approve"
            )

    def refuse(self) -> None:
        work.record_sign_off_decision(
            self.deps,
            audit=self.reference,
            actor=email("lsp.health"),
            decision="refuse",
            comment="Please evidence how the recommendations will be resourced.",
        )

    def select_deep_dive(self) -> None:
        deep_dive.select_deep_dive(
            self.deps,
            audit=self.reference,
            actor=email("coordinator"),
            rated="red",
            percent_of_rest=self.cast.deep_dive_percent,
            seed=7,
        )

    def give_feedback(self) -> None:
        for agency in self.cast.returning:
            with contextlib.suppress(NotFound):  # only settings in the deep dive get feedback
                deep_dive.record_feedback(
                    self.deps,
                    audit=self.reference,
                    actor=email("chair"),
                    agency=agency,
                    summary="Strong safeguarding culture; update the online safety policy.",
                )

    def complete_actions(self) -> None:
        """The plan has an action (one for the police, if none was added); each action owned
        by a returning agency is evidenced by its lead and accepted by the learning hub."""
        plan = actions.list_actions(self.deps, audit=self.reference, as_person=email("coordinator"))
        if not plan:
            actions.add_action(
                self.deps,
                audit=self.reference,
                actor=email("chair"),
                recommendation="Share strategy meeting minutes with every agency invited.",
                owner="police",
                due_on=self.deps.clock.now().astimezone(LONDON).date() + timedelta(days=28),
            )
            plan = actions.list_actions(
                self.deps, audit=self.reference, as_person=email("coordinator")
            )
        for action in plan:
            lead = self.cast.returning.get(action.owner)
            if lead is not None and action.status in OUTSTANDING:
                self._evidence(action.number, email(lead), owed=action.status in OWED)

    def _evidence(self, number: int, lead: str, *, owed: bool) -> None:
        if owed:
            actions.set_status(
                self.deps,
                audit=self.reference,
                actor=lead,
                number=number,
                status="evidence_submitted",
                evidence="Minutes sampled for the quarter show every agency received them.",
            )
        actions.accept_evidence(self.deps, audit=self.reference, actor=email("lhm"), number=number)


def drive(
    deps: Deps, audit_type: str, to: str, *, theme: str = "Driven", cast: Cast | None = None
) -> Driver:
    """An audit of ``audit_type`` started by the coordinator, chaired by the chair, and moved
    on to the state ``to``; the driver is returned to carry on from there."""
    driver = Driver.start(deps, audit_type, theme=theme, cast=cast)
    driver.advance(to)
    return driver
