"""Walks an audit from where it is to a final state, doing what each gate asks first.

Used by ``oscp demo`` to show a whole cycle, and by the tests to prove every shipped audit
type can be completed through the service layer. It plays every part with the demo
partnership's people: it is a rehearsal, not a shortcut (every gate is met, none skipped).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta
from types import MappingProxyType

from oscp_flow.rehearsal.demo import SETTINGS, email
from states.clock import LONDON
from states.definitions import gate_names
from states.definitions.bodies import BodyKind
from states.definitions.graph import expand_sources, main_path
from states.definitions.model import AuditTypeDefinition, TransitionDef
from states.definitions.sign_off import SignOffDef
from states.definitions.tool import ToolDefinition
from states.errors import NotFound
from states.persistence.vocabulary import ReturnStatus
from states.rules.action_plan import OUTSTANDING, OWED
from states.rules.answers import in_phase
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
    shared_items,
    sign_off_views,
    terms,
    work,
)
from states.services.audits import Fired
from states.services.deps import Deps

RETURNING = {"police": "lead.police", "csc": "lead.csc", "community_health": "lead.health"}


# Who approves for each kind of body, in turn: members of the demo's bodies (never the chair,
# who writes the report), by the e-mail names every rehearsed partnership shares.
DECIDING: Mapping[BodyKind, tuple[str, ...]] = MappingProxyType(
    {
        BodyKind.LEARNING_HUB: ("lhm",),
        BodyKind.STATUTORY_PARTNERS: ("lsp.police", "lsp.council", "lsp.health"),
        BodyKind.PERFORMANCE_GROUP: ("lhm", "lsp.council"),
    }
)


def approvers(rule: SignOffDef | None) -> tuple[str, ...]:
    """Who approves to reach ``rule``'s quorum of every body it names, each person once."""
    if rule is None:
        return ()
    if rule.bodies is None:  # an audit started before bodies: its roles, as before
        return ("lhm", "lsp.police")
    chosen = [m for wanted in rule.bodies for m in DECIDING[wanted.kind][: wanted.quorum]]
    return tuple(dict.fromkeys(chosen))


# The chair's summary report in a rehearsal: the four sections the framework asks for.
REPORT = {
    "working_well": "Agencies shared information quickly at the front door, and strategy "
    "meetings were held on time.",
    "emerging_concerns": "Other children in the household were not always considered.",
    "recommendations": "- Every agency records the child's lived experience\n"
    "- Escalate drift in plans to the strategic lead",
    "reflection": "The tool worked; auditors asked for more guidance on the EEDI questions.",
}
# Types completed by schools and settings rather than agencies: Section 175/157 (framework 6.2).
BY_SETTINGS = frozenset({"section_175"})
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


def complete_answers(
    tool: ToolDefinition, variant: int = 0, phase: str | None = None
) -> dict[str, object]:
    """A complete, valid return for any tool (or one phase of it): a busy agency's answers."""
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
            answers[q.id] = "Recorded for the walkthrough; see the agency's own records."
    return answers


def answering(audit_type: str) -> Mapping[str, str | None]:
    """Who completes the tool in a rehearsal of ``audit_type``, each with its lead's e-mail
    local part (None: nobody there to ask, so the coordinator enters its return)."""
    return SETTINGS if audit_type in BY_SETTINGS else RETURNING


def actor_for(transition: TransitionDef) -> str:
    return email(ACTOR_FOR_ROLE[transition.roles[0]])


class Walker:
    def __init__(self, deps: Deps, reference: str, started_on: date) -> None:
        self.deps = deps
        self.reference = reference
        self.started_on = started_on
        self._cases = 0
        self._attended: dict[str, str] = {}  # attendee reference -> agency (training audits)
        self._invited = False
        self._assigned = False
        self._answering: Mapping[str, str | None] | None = None
        self._prepare: dict[str, Callable[[], None]] = {
            gate_names.CASES_WITHIN_WINDOW: self._sample_cases,
            gate_names.AUDITORS_INDEPENDENT: self._assign_auditors,
            gate_names.ALL_RETURNS_IN: self._collect_returns,
            gate_names.FINDINGS_MODERATED: self._moderate_findings,
            gate_names.SIGN_OFF_QUORUM: self._approve,
            gate_names.SIGN_OFF_REFUSED: self._refuse,
            gate_names.DEEP_DIVE_SELECTED: self._select_deep_dive,
            gate_names.FEEDBACK_RECORDED: self._give_feedback,
            gate_names.ACTIONS_COMPLETE: self._complete_actions,
            gate_names.TERMS_RECORDED: self._record_terms,
            gate_names.DISSEMINATION_RECORDED: self._share_learning,
            gate_names.REPORT_WRITTEN: self._write_report,
        }

    def walk(self, definition: AuditTypeDefinition, goal: str = "closed") -> Iterator[Fired]:
        state = queries.audit_status(
            self.deps, audit=self.reference, as_person=email("coordinator")
        ).state
        self._invite_once()
        for step in main_path(definition, state, goal):
            transition = next(
                t
                for t in definition.transitions
                if t.trigger == step.trigger and state in expand_sources(definition, t.sources)
            )
            yield self.fire(transition)
            state = step.dest

    def fire(self, transition: TransitionDef) -> Fired:
        audit_type = queries.audit_type_of(self.deps, audit=self.reference)
        for gate in self.deps.catalogue.current(audit_type).gates_of(transition):
            prepare = self._prepare.get(gate)
            if prepare is not None:
                prepare()
        reason = "Rehearsed by the walkthrough" if transition.requires_reason else None
        return audits.fire(
            self.deps,
            audit=self.reference,
            trigger=transition.trigger,
            actor=actor_for(transition),
            reason=reason,
        )

    def _sample_cases(self) -> None:
        for _ in range(3):
            self._cases += 1
            work.add_case(
                self.deps,
                audit=self.reference,
                actor=email("coordinator"),
                reference=f"{self.reference}-C{self._cases:02d}",
                first_intervention_on=self.started_on - timedelta(days=300),
                last_intervention_on=self.started_on - timedelta(days=30 * self._cases),
                agencies=list(RETURNING),
            )

    def _record_terms(self) -> None:
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

    def _assign_auditors(self) -> None:
        if self._assigned:
            return
        self._assigned = True
        for n in range(1, self._cases + 1):
            case = f"{self.reference}-C{n:02d}"
            # The first auditor managed the first case; the walkthrough respects that.
            if n == 1:
                partnership.declare_conflict(
                    self.deps,
                    person=email("auditor.one"),
                    case_reference=case,
                    involvement="management",
                )
            auditor = "auditor.two" if n == 1 else "auditor.one"
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

    def _taking_part(self) -> Mapping[str, str | None]:
        if self._answering is None:
            self._answering = answering(queries.audit_type_of(self.deps, audit=self.reference))
        return self._answering

    def _invite_once(self) -> None:
        """Agencies take part from the start: their leads act only in audits they are part of."""
        if not self._invited:
            work.invite_agencies(
                self.deps,
                audit=self.reference,
                actor=email("coordinator"),
                agencies=list(self._taking_part()),
            )
            self._invited = True

    def _collect_returns(self) -> None:
        """Every agency completes the tool: once, or once per sampled case."""
        status = queries.audit_status(
            self.deps, audit=self.reference, as_person=email("coordinator")
        )
        tool = self.deps.catalogue.tool(status.audit_type)
        assert tool is not None, "the walkthrough needs the audit tools loaded"
        phase = self.deps.catalogue.current(status.audit_type).definition.state(status.state).phase
        cases = [None] if tool.completed_per == "agency" else self._case_references(tool)
        for n, (agency, lead) in enumerate(self._taking_part().items()):
            entering = email(lead or "coordinator")
            for case in cases:
                if self._attended.get(case or "", agency) != agency:
                    continue  # an attendee's return comes from their own agency only
                done = returns.read(
                    self.deps, audit=self.reference, actor=entering, agency=agency, case=case
                )
                if done.status == ReturnStatus.SUBMITTED:  # someone already made this return
                    continue
                returns.submit(
                    self.deps,
                    audit=self.reference,
                    actor=entering,
                    agency=agency,
                    case=case,
                    answers=complete_answers(tool, variant=n, phase=phase),
                )

    def _case_references(self, tool: ToolDefinition) -> list[str]:
        if tool.completed_per == "attendee":
            return self._attendees()
        if not self._cases:
            self._sample_cases()
        return [f"{self.reference}-C{n:02d}" for n in range(1, self._cases + 1)]

    def _attendees(self) -> list[str]:
        """The coordinator registers two attendees of each agency, on one course and cohort."""
        if not self._attended:
            for agency in RETURNING:
                made = attendees.register_attendees(
                    self.deps,
                    audit=self.reference,
                    actor=email("coordinator"),
                    new=attendees.attendees(
                        agency=agency, course="Neglect and GCP2", cohort="2026-09", count=2
                    ),
                )
                self._attended.update(dict.fromkeys(made, agency))
        return list(self._attended)

    def _moderate_findings(self) -> None:
        work_left = [
            f for f in findings.list_findings(self.deps, audit=self.reference) if not f.moderated
        ]
        if not work_left:
            noted = findings.record_finding(
                self.deps,
                audit=self.reference,
                actor=email("chair"),
                kind="strength",
                summary="Timely information sharing at the front door",
            )
            findings.moderate(
                self.deps, audit=self.reference, actor=email("chair"), finding_id=noted
            )
        for finding in work_left:
            findings.moderate(
                self.deps, audit=self.reference, actor=email("chair"), finding_id=finding.id
            )

    def _select_deep_dive(self) -> None:
        deep_dive.select_deep_dive(
            self.deps,
            audit=self.reference,
            actor=email("coordinator"),
            rated="red",
            percent_of_rest=50,
            seed=7,
        )

    def _give_feedback(self) -> None:
        for agency in self._taking_part():
            with contextlib.suppress(NotFound):  # only settings in the deep dive get feedback
                deep_dive.record_feedback(
                    self.deps,
                    audit=self.reference,
                    actor=email("chair"),
                    agency=agency,
                    summary="Strong safeguarding culture; update the online safety policy.",
                )

    def _complete_actions(self) -> None:
        """The plan has an action (one for the first taking part with a lead, the police or
        the schools, if none was added); each action whose owner has a lead in the walkthrough
        is evidenced by that lead and accepted by the hub."""
        taking_part = {**RETURNING, **self._taking_part()}
        leads = {code: email(local) for code, local in taking_part.items() if local}
        owner = next(code for code, local in self._taking_part().items() if local)
        plan = actions.list_actions(self.deps, audit=self.reference, as_person=email("coordinator"))
        if not plan:
            actions.add_action(
                self.deps,
                audit=self.reference,
                actor=email("chair"),
                recommendation="Share strategy meeting minutes with every agency invited.",
                owner=owner,
                due_on=self.deps.clock.now().astimezone(LONDON).date() + timedelta(days=28),
            )
            plan = actions.list_actions(
                self.deps, audit=self.reference, as_person=email("coordinator")
            )
        for action in plan:
            if action.owner not in leads or action.status not in OUTSTANDING:
                continue
            if action.status in OWED:
                actions.set_status(
                    self.deps,
                    audit=self.reference,
                    actor=leads[action.owner],
                    number=action.number,
                    status="evidence_submitted",
                    evidence="Minutes sampled for the quarter show every agency received them.",
                )
            actions.accept_evidence(
                self.deps, audit=self.reference, actor=email("lhm"), number=action.number
            )

    def _share_learning(self) -> None:
        """The coordinator records each item the type shares, by its first channel, today."""
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

    def _write_report(self) -> None:
        """The chair writes each section of the summary report still empty."""
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

    def _approve(self) -> None:
        """A quorum of every body the audit's type names, never the chair (its author)."""
        for member in approvers(sign_off_views.rule_of(self.deps, audit=self.reference)):
            work.record_sign_off_decision(
                self.deps, audit=self.reference, actor=email(member), decision="approve"
            )

    def _refuse(self) -> None:
        work.record_sign_off_decision(
            self.deps,
            audit=self.reference,
            actor=email("lsp.health"),
            decision="refuse",
            comment="Please evidence how the recommendations will be resourced.",
        )


def rehearse(deps: Deps, audit_type: str, *, goal: str, theme: str = "Rehearsal") -> Walker:
    """Start an audit as the demo coordinator, chaired by the demo chair, and walk it to
    ``goal``; the walker is returned to carry on from there."""
    reference = audits.start_audit(
        deps, audit_type=audit_type, theme=theme, lead=email("chair"), actor=email("coordinator")
    ).reference
    started_on = deps.clock.now().astimezone(LONDON).date()
    walker = Walker(deps, reference, started_on)
    for _ in walker.walk(deps.catalogue.current(audit_type).definition, goal=goal):
        pass
    return walker
