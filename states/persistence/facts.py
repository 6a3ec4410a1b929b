"""``AuditFacts`` answered from the database, one small query per question a gate asks."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, Connection, Exists, and_, exists, func, literal, select

from states.persistence import tables as t
from states.persistence.vocabulary import BARRING, ReturnStatus
from states.rules.action_plan import OUTSTANDING
from states.rules.gates import CaseWindow, Decision, SignOffDecision


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
        statement = (
            select(t.decision.c.person_id, t.person.c.name, t.decision.c.decision, t.role.c.role)
            .join(t.person, t.person.c.id == t.decision.c.person_id)
            .outerjoin(t.role, t.role.c.person_id == t.decision.c.person_id)
            .where(t.decision.c.audit_id == self._audit_id, t.decision.c.round == round_)
        )
        grouped: dict[int, tuple[str, Decision, set[str]]] = {}
        for person_id, name, decision, role in self._c.execute(statement):
            entry = grouped.setdefault(person_id, (name, Decision(decision), set()))
            if role is not None:
                entry[2].add(role)
        return [
            SignOffDecision(pid, name, frozenset(roles), decision)
            for pid, (name, decision, roles) in sorted(grouped.items())
        ]

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

    def deep_dive_without_feedback(self) -> list[str]:
        given = exists().where(
            t.feedback.c.audit_id == self._audit_id,
            t.feedback.c.agency_id == t.participation.c.agency_id,
        )
        statement = (
            select(t.agency.c.name)
            .join(t.participation, t.participation.c.agency_id == t.agency.c.id)
            .where(
                t.participation.c.audit_id == self._audit_id,
                t.participation.c.deep_dive.is_(True),
                ~given,
            )
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
