"""``AuditFacts`` answered from the database, one small query per question a gate asks."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import ColumnElement, Connection, Exists, and_, exists, func, literal, or_, select

from states.definitions.bodies import BodyKind
from states.persistence import tables as t
from states.persistence.vocabulary import BARRING, ReturnStatus
from states.rules.action_plan import OUTSTANDING
from states.rules.gates import CaseWindow, Decision, SignOffDecision
from states.rules.meetings import MeetingStatus
from states.rules.report_content import empty_sections


class SqlAuditFacts:
    """Answers about one audit in its current round of returns.

    ``per_case`` says whether its tool is completed per sampled case (one return per case per
    involved agency) or per agency; it is asked only when a gate needs it.
    """

    def __init__(
        self,
        connection: Connection,
        audit_id: int,
        *,
        round_: int = 0,
        per_case: Callable[[], bool] = lambda: False,
    ) -> None:
        self._c = connection
        self._audit_id = audit_id
        self._round = round_
        self._per_case = per_case

    def participation_count(self) -> int:
        statement = select(func.count()).where(t.participation.c.audit_id == self._audit_id)
        return int(self._c.execute(statement).scalar_one())

    def _submitted(self, case_key: ColumnElement[int]) -> Exists:
        return exists().where(
            t.audit_return.c.audit_id == self._audit_id,
            t.audit_return.c.agency_id == t.participation.c.agency_id,
            t.audit_return.c.case_key == case_key,
            t.audit_return.c.round == self._round,
            t.audit_return.c.status == ReturnStatus.SUBMITTED,
        )

    def outstanding_agencies(self) -> list[tuple[int, str, int]]:
        """(agency id, name, returns owed) for agencies still owing returns this round."""
        base = (
            select(t.agency.c.id, t.agency.c.name)
            .join(t.participation, t.participation.c.agency_id == t.agency.c.id)
            .where(
                t.participation.c.audit_id == self._audit_id, t.participation.c.required.is_(True)
            )
        )
        if not self._per_case():
            missing = base.where(~self._submitted(literal(0))).order_by(t.agency.c.name)
            return [(i, name, 1) for i, name in self._c.execute(missing)]
        owed = (
            base.add_columns(func.count())
            .join(t.case_agency, t.case_agency.c.agency_id == t.agency.c.id)
            .join(t.case, t.case.c.id == t.case_agency.c.case_id)
            .where(t.case.c.audit_id == self._audit_id, ~self._submitted(t.case.c.id))
            .group_by(t.agency.c.id, t.agency.c.name)
            .order_by(t.agency.c.name)
        )
        return [(i, name, n) for i, name, n in self._c.execute(owed)]

    def outstanding_returns(self) -> list[str]:
        """Agencies still owing a return this round ("Police (2 cases)" for case audits)."""
        owed = self.outstanding_agencies()
        if not self._per_case():
            return [name for _, name, _ in owed]
        return [f"{name} ({n} case{'s' if n != 1 else ''})" for _, name, n in owed]

    def finding_counts(self) -> tuple[int, int]:
        statement = select(
            func.count(), func.count().filter(t.finding.c.moderated_at.is_(None))
        ).where(t.finding.c.audit_id == self._audit_id)
        total, unmoderated = self._c.execute(statement).one()
        return int(total), int(unmoderated)

    def sign_off_decisions(self, round_: int) -> list[SignOffDecision]:
        d = t.decision
        statement = (
            select(d.c.id, d.c.person_id, t.person.c.name, d.c.decision, t.role.c.role)
            .join(t.person, t.person.c.id == d.c.person_id)
            .outerjoin(t.role, t.role.c.person_id == d.c.person_id)
            .where(d.c.audit_id == self._audit_id, d.c.round == round_)
        )
        grouped: dict[int, tuple[int, str, Decision, set[str]]] = {}
        for decision_id, person_id, name, decision, role in self._c.execute(statement):
            entry = grouped.setdefault(person_id, (decision_id, name, Decision(decision), set()))
            if role is not None:
                entry[3].add(role)
        bodies = self._decision_bodies([entry[0] for entry in grouped.values()])
        return [
            SignOffDecision(pid, name, frozenset(roles), decision, bodies.get(did, frozenset()))
            for pid, (did, name, decision, roles) in sorted(grouped.items())
        ]

    def _decision_bodies(self, decision_ids: list[int]) -> dict[int, frozenset[BodyKind]]:
        """The kinds of body each decision was made for."""
        if not decision_ids:
            return {}
        statement = (
            select(t.decision_body.c.decision_id, t.body.c.kind)
            .join(t.body, t.body.c.id == t.decision_body.c.body_id)
            .where(t.decision_body.c.decision_id.in_(decision_ids))
        )
        found: dict[int, set[BodyKind]] = {}
        for decision_id, kind in self._c.execute(statement):
            found.setdefault(decision_id, set()).add(BodyKind(kind))
        return {did: frozenset(kinds) for did, kinds in found.items()}

    def cases(self) -> list[CaseWindow]:
        statement = (
            select(t.case.c.reference, t.case.c.last_intervention_on)
            .where(t.case.c.audit_id == self._audit_id)
            .order_by(t.case.c.reference)
        )
        return [CaseWindow(ref, last) for ref, last in self._c.execute(statement)]

    def unassigned_cases(self) -> list[str]:
        assigned = select(t.assignment.c.case_id)
        statement = (
            select(t.case.c.reference)
            .where(t.case.c.audit_id == self._audit_id, t.case.c.id.not_in(assigned))
            .order_by(t.case.c.reference)
        )
        return list(self._c.execute(statement).scalars())

    def conflicted_assignments(self) -> list[tuple[str, str]]:
        statement = (
            select(t.person.c.name, t.case.c.reference)
            .select_from(t.assignment)
            .join(t.case, t.case.c.id == t.assignment.c.case_id)
            .join(t.person, t.person.c.id == t.assignment.c.person_id)
            .join(
                t.conflict,
                and_(
                    t.conflict.c.person_id == t.assignment.c.person_id,
                    t.conflict.c.case_reference == t.case.c.reference,
                    t.conflict.c.involvement.in_(BARRING),
                ),
            )
            .where(t.case.c.audit_id == self._audit_id)
            .order_by(t.case.c.reference)
        )
        return [(name, ref) for name, ref in self._c.execute(statement)]

    def undeclared_assignments(self) -> list[tuple[str, str]]:
        """(auditor, case) for each assignment whose auditor has not declared either way."""
        declared = exists().where(
            t.conflict.c.person_id == t.assignment.c.person_id,
            t.conflict.c.case_reference == t.case.c.reference,
        )
        statement = (
            select(t.person.c.name, t.case.c.reference)
            .select_from(t.assignment)
            .join(t.case, t.case.c.id == t.assignment.c.case_id)
            .join(t.person, t.person.c.id == t.assignment.c.person_id)
            .where(t.case.c.audit_id == self._audit_id, ~declared)
            .order_by(t.case.c.reference, t.person.c.name)
        )
        return [(name, ref) for name, ref in self._c.execute(statement)]

    def terms_recorded(self) -> bool:
        statement = select(t.terms.c.id).where(t.terms.c.audit_id == self._audit_id)
        return self._c.execute(statement).first() is not None

    def open_escalations(self) -> list[str]:
        statement = (
            select(t.agency.c.name)
            .join(t.escalation, t.escalation.c.agency_id == t.agency.c.id)
            .where(t.escalation.c.audit_id == self._audit_id, t.escalation.c.assured_at.is_(None))
            .order_by(t.agency.c.name)
        )
        return list(dict.fromkeys(self._c.execute(statement).scalars()))

    def deep_dive_count(self) -> int:
        statement = select(func.count()).where(
            t.participation.c.audit_id == self._audit_id, t.participation.c.deep_dive.is_(True)
        )
        return int(self._c.execute(statement).scalar_one())

    def awaiting_feedback(self) -> list[str]:
        """Agencies owed individual feedback without it: those the deep dive sampled, or,
        on an audit with no deep dive (Section 11), every one that submitted a return."""
        given = exists().where(
            t.feedback.c.audit_id == self._audit_id,
            t.feedback.c.agency_id == t.participation.c.agency_id,
        )
        statement = (
            select(t.agency.c.name)
            .join(t.participation, t.participation.c.agency_id == t.agency.c.id)
            .where(t.participation.c.audit_id == self._audit_id, feedback_owed(), ~given)
            .order_by(t.agency.c.name)
        )
        return list(self._c.execute(statement).scalars())

    def open_actions(self) -> list[str]:
        """The owner agency of every action not yet accepted, carried forward or withdrawn,
        one entry per action (so a gate can say how many, and whose)."""
        statement = (
            select(t.agency.c.name)
            .join(t.action, t.action.c.owner_agency_id == t.agency.c.id)
            .where(
                t.action.c.audit_id == self._audit_id,
                t.action.c.status.in_(OUTSTANDING),
            )
            .order_by(t.agency.c.name, t.action.c.number)
        )
        return list(self._c.execute(statement).scalars())

    def shared_items(self) -> set[str]:
        """The declared items recorded as shared at least once (by any channel, any day)."""
        statement = select(t.shared_item.c.item).where(t.shared_item.c.audit_id == self._audit_id)
        return set(self._c.execute(statement).scalars())

    def empty_report_sections(self) -> list[str]:
        """The sections of the newest summary report (the draft being written, or the version
        a refusal reopened, whose words the next one starts from) with no text yet."""
        r = t.report
        statement = (
            select(r.c.narrative)
            .where(r.c.audit_id == self._audit_id, r.c.kind == "summary")
            .order_by(r.c.version.desc())
            .limit(1)
        )
        stored = self._c.execute(statement).scalar_one_or_none()
        return empty_sections({} if stored is None else json.loads(stored))

    def meeting_counts(self) -> tuple[int, int]:
        """The audit's discussion meetings held, and those still scheduled."""
        m = t.meeting
        statement = select(
            func.count().filter(m.c.status == MeetingStatus.HELD),
            func.count().filter(m.c.status == MeetingStatus.SCHEDULED),
        ).where(m.c.audit_id == self._audit_id)
        held, scheduled = self._c.execute(statement).one()
        return int(held), int(scheduled)


def feedback_owed() -> ColumnElement[bool]:
    """Whether the agency of the ``participation`` row in the query is owed individual
    feedback on its return: sampled for the deep dive, where the audit took one; otherwise
    having submitted a return (in any round)."""
    p, other = t.participation, t.participation.alias("sampled")
    sampled = exists().where(other.c.audit_id == p.c.audit_id, other.c.deep_dive.is_(True))
    returned = exists().where(
        t.audit_return.c.audit_id == p.c.audit_id,
        t.audit_return.c.agency_id == p.c.agency_id,
        t.audit_return.c.status == ReturnStatus.SUBMITTED,
    )
    return or_(p.c.deep_dive.is_(True), and_(~sampled, returned))
