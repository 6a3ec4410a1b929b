"""The partnership's own people at their desks: coordinators, chairs and learning hub members
doing, for each audit, what its next step asks of them, through the services their pages and
commands call. What others owe (returns, sign-off decisions, assurance, action evidence) they
never do for them: they wait, and come back, as a coordinator would, a few working days later.

Each visit reads where the audit is, takes the next step of its cycle (``main_path``) after
doing the step's own preparation (terms, the sample, auditors, moderation, the report, the
deep dive, feedback, sharing, accepting evidence), and goes on while steps succeed. A gate
that holds the audit (``GateBlocked``) is the answer "not yet": its sentence is kept, so
at the end of the year every audit still open can say what it waits for.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from bench.year.nation import Partnership, mail
from states.clock import LONDON
from states.definitions import gate_names
from states.definitions.graph import expand_sources, main_path
from states.definitions.model import AuditTypeDefinition, TransitionDef
from states.definitions.stage_names import Stage
from states.errors import GateBlocked
from states.persistence.store import AuditRow, AuditStore
from states.services import (
    actions,
    attendees,
    auditors,
    audits,
    deep_dive,
    feedback_views,
    findings,
    moderation,
    reports,
    shared_items,
    starting,
    terms,
    work,
)
from states.services.deps import Deps
from states.services.finding_views import FindingFilter

# Steps taken by the people the e-mails reach, never from a desk.
BY_LINK = frozenset({"sign_off", "request_further_assurance", "record_assurance"})
STEPS_PER_VISIT = 4
EXCEPTION = "single_agency_exception"
AFTER_SIGN_OFF = frozenset({Stage.AGREEING_ACTIONS, Stage.DISSEMINATING, Stage.MONITORING_IMPACT})
CASES = 3
CASE_AGENCIES = ("police", "csc", "community_health", "education")
TAKING_PART = {
    "effectiveness_report": 8,
    "section_11": 15,
    "deep_dive": 6,
    "scrutiny_audit": 6,
    "benchmarking": 6,
    "programme_review": 5,
}
REPORT = {
    "working_well": "Agencies shared information quickly and strategy meetings were on time.",
    "emerging_concerns": "Other children in the household were not always considered.",
    "recommendations": "- Record the child's lived experience\n- Escalate drift in plans",
    "reflection": "The tool worked; auditors asked for more guidance on two questions.",
}


@dataclass
class Audit:
    """What the desk remembers of one audit between visits."""

    reference: str
    partnership: Partnership
    chair: str
    started_on: date
    kind: str
    cases: list[str] = field(default_factory=list)
    actions_added: bool = False
    assigned: bool = False
    raiser: str | None = None  # an exception report's agency lead
    waiting_for: str = ""
    closed: bool = False


@dataclass
class Desk:
    deps: Deps
    rng: random.Random
    blocked: int = 0
    steps: int = 0

    def start(self, p: Partnership, audit_type: str, theme: str, on: date) -> Audit:
        """The coordinator starts the audit; an exception report is raised by the lead of
        the agency reporting it (``oscp audit start`` as that lead), for the hub to triage."""
        chair = p.chairs[self.rng.randrange(2)]
        raiser = p.lead(p.agency("acute")) if audit_type == EXCEPTION else None
        reference = starting.start_audit(
            self.deps,
            audit_type=audit_type,
            theme=theme,
            lead=chair,
            actor=raiser or p.coordinator,
            agencies=[p.agency("acute")] if raiser else self._taking_part(p, audit_type),
        ).reference
        audit = Audit(reference, p, chair, on, audit_type, raiser=raiser)
        if audit_type == "training_impact":
            self._register_attendees(audit)
        return audit

    def _taking_part(self, p: Partnership, audit_type: str) -> list[str]:
        if audit_type == "section_175":
            return list(p.settings)
        if audit_type in TAKING_PART:
            return list(p.agencies[: TAKING_PART[audit_type]])
        return [p.agency(name) for name in CASE_AGENCIES]  # a case sample's agencies

    def visit(self, audit: Audit) -> bool:
        """Take the audit's steps while they go; True while the audit is still open."""
        for _ in range(STEPS_PER_VISIT):
            row = self._row(audit)
            definition = self.deps.catalogue.current(row.audit_type).definition
            if definition.state(row.state).final:
                audit.closed = True
                return False
            if definition.state(row.state).stage in AFTER_SIGN_OFF:
                self.add_actions(audit)
            transition = self._next(definition, row.state)
            if transition is None:
                audit.waiting_for = f"waits in {row.state} for sign-off members or assurance"
                return True
            if not self._take(audit, row.audit_type, transition):
                return True
        return True

    def _row(self, audit: Audit) -> AuditRow:
        with self.deps.uow(readonly=True) as uow:
            return AuditStore(uow.connection).load_audit(audit.reference)

    def _next(self, definition: AuditTypeDefinition, state: str) -> TransitionDef | None:
        path = main_path(definition, state, "closed")
        if not path or path[0].trigger in BY_LINK:
            return None
        return next(
            t
            for t in definition.transitions
            if t.trigger == path[0].trigger and state in expand_sources(definition, t.sources)
        )

    def _take(self, audit: Audit, audit_type: str, transition: TransitionDef) -> bool:
        compiled = self.deps.catalogue.current(audit_type)
        for gate in compiled.gates_of(transition):
            prepare = self._preparing(gate)
            if prepare is not None:
                prepare(audit)
        actor = self._actor(audit, transition.roles[0])
        try:
            audits.fire(
                self.deps,
                audit=audit.reference,
                trigger=transition.trigger,
                actor=actor,
                reason="Agreed at the partnership's meeting"
                if transition.requires_reason
                else None,
            )
        except GateBlocked as held:
            audit.waiting_for = str(held)
            self.blocked += 1
            return False
        self.steps += 1
        audit.waiting_for = ""
        return True

    def _actor(self, audit: Audit, role: str) -> str:
        if role == "coordinator":
            return audit.partnership.coordinator
        if role == "agency_lead" and audit.raiser is not None:
            return audit.raiser
        return audit.chair

    def _preparing(self, gate: str) -> Callable[[Audit], None] | None:
        return {
            gate_names.TERMS_RECORDED: self._terms,
            gate_names.CASES_WITHIN_WINDOW: self._sample,
            gate_names.AUDITORS_INDEPENDENT: self._auditors,
            gate_names.FINDINGS_MODERATED: self._moderate,
            gate_names.REPORT_WRITTEN: self._report,
            gate_names.DEEP_DIVE_SELECTED: self._deep_dive,
            gate_names.FEEDBACK_RECORDED: self._feedback,
            gate_names.DISSEMINATION_RECORDED: self._share,
            gate_names.ACTIONS_COMPLETE: self._actions,
        }.get(gate)

    def _terms(self, audit: Audit) -> None:
        terms.record_terms(
            self.deps,
            audit=audit.reference,
            actor=audit.chair,
            scope="Cases open to two or more agencies on the audit's theme",
            time_window="Interventions in the 12 months before the audit started",
            methodology="Multi-agency case file audit against the audit tool",
            sample_rationale="Cases known to every returning agency",
            timetable="Returns within 20 working days; moderation within 10",
        )

    def _sample(self, audit: Audit) -> None:
        p = audit.partnership
        while len(audit.cases) < CASES:
            case = case_reference(audit.reference, len(audit.cases) + 1)
            work.add_case(
                self.deps,
                audit=audit.reference,
                actor=p.coordinator,
                reference=case,
                first_intervention_on=audit.started_on - timedelta(days=300),
                last_intervention_on=audit.started_on - timedelta(days=30),
                agencies=[p.agency(name) for name in CASE_AGENCIES],
            )
            audit.cases.append(case)

    def _auditors(self, audit: Audit) -> None:
        if audit.assigned:
            return
        audit.assigned = True
        for n, case in enumerate(audit.cases):
            auditor = audit.partnership.auditors[n % len(audit.partnership.auditors)]
            work.assign_auditor(
                self.deps,
                audit=audit.reference,
                actor=audit.partnership.coordinator,
                case=case,
                auditor=auditor,
            )
            auditors.declare(
                self.deps, audit=audit.reference, actor=auditor, case=case, involvement="none"
            )

    def _register_attendees(self, audit: Audit) -> None:
        for name in ("csc", "community_health", "education"):
            attendees.register_attendees(
                self.deps,
                audit=audit.reference,
                actor=audit.partnership.coordinator,
                new=attendees.attendees(
                    agency=audit.partnership.agency(name),
                    course="Neglect",
                    cohort="2026",
                    count=2,
                ),
            )

    def _moderate(self, audit: Audit) -> None:
        if not findings.list_findings(self.deps, audit=audit.reference):
            findings.record_finding(
                self.deps,
                audit=audit.reference,
                actor=audit.chair,
                kind="strength",
                summary="Timely information sharing at the front door",
            )
        moderation.confirm_findings(
            self.deps, audit=audit.reference, actor=audit.chair, shown=FindingFilter()
        )

    def _report(self, audit: Audit) -> None:
        author = audit.raiser or audit.chair  # an exception's report is the agency's own
        reports.save_sections(self.deps, audit=audit.reference, actor=author, sections=REPORT)

    def _deep_dive(self, audit: Audit) -> None:
        deep_dive.select_deep_dive(
            self.deps,
            audit=audit.reference,
            actor=audit.partnership.coordinator,
            seed=self.rng.randrange(1_000),
        )

    def _feedback(self, audit: Audit) -> None:
        owed = feedback_views.feedback_of(self.deps, audit=audit.reference, viewer=audit.chair)
        for one in owed.owed:
            if one.given is None:
                deep_dive.record_feedback(
                    self.deps,
                    audit=audit.reference,
                    actor=audit.chair,
                    agency=one.code,
                    summary="A strong safeguarding culture; update the online safety policy.",
                )

    def _share(self, audit: Audit) -> None:
        today = self.deps.clock.now().astimezone(LONDON).date()
        for item in shared_items.sharing_of(self.deps, audit=audit.reference).waiting:
            shared_items.record_shared(
                self.deps,
                audit=audit.reference,
                actor=audit.partnership.coordinator,
                item=item.id,
                channel=item.channels[0],
                on=today,
            )

    def add_actions(self, audit: Audit) -> None:
        """Once signed off, the chair agrees an action for each of two agencies."""
        if audit.actions_added:
            return
        audit.actions_added = True
        today = self.deps.clock.now().astimezone(LONDON).date()
        due = self.deps.calendar.add_working_days(today, 20)
        for owner in (audit.partnership.agency("csc"), audit.partnership.agency("police")):
            actions.add_action(
                self.deps,
                audit=audit.reference,
                actor=audit.chair,
                recommendation="Share strategy meeting minutes with every agency invited.",
                owner=owner,
                due_on=due,
            )

    def _actions(self, audit: Audit) -> None:
        """A hub member accepts the evidence the owners have sent; the rest is theirs to do."""
        member = mail(f"hub{1 + self.rng.randrange(5)}")
        plan = actions.list_actions(
            self.deps, audit=audit.reference, as_person=audit.partnership.coordinator
        )
        for action in plan:
            if action.status == "evidence_submitted":
                actions.accept_evidence(
                    self.deps, audit=audit.reference, actor=member, number=action.number
                )


def case_reference(audit: str, n: int) -> str:
    """A pseudonymous case reference, as the partnership's own case system would give one."""
    return f"{audit}-C{n:02d}"
