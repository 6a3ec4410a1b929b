"""``AuditFacts`` answered from the database, one small query per question a gate asks."""

from __future__ import annotations

from sqlalchemy import Connection, and_, func, select

from states.gates import CaseWindow, Decision, SignOffDecision
from states.records import (
    Agency,
    AuditorAssignment,
    CaseRecord,
    ConflictDeclaration,
    Escalation,
    Finding,
    Participation,
    Person,
    PersonRole,
    SignOffDecisionRecord,
)

_agency = Agency.__table__  # type: ignore[attr-defined]
_participation = Participation.__table__  # type: ignore[attr-defined]
_finding = Finding.__table__  # type: ignore[attr-defined]
_decision = SignOffDecisionRecord.__table__  # type: ignore[attr-defined]
_person = Person.__table__  # type: ignore[attr-defined]
_role = PersonRole.__table__  # type: ignore[attr-defined]
_case = CaseRecord.__table__  # type: ignore[attr-defined]
_assignment = AuditorAssignment.__table__  # type: ignore[attr-defined]
_conflict = ConflictDeclaration.__table__  # type: ignore[attr-defined]
_escalation = Escalation.__table__  # type: ignore[attr-defined]


class SqlAuditFacts:
    def __init__(self, connection: Connection, audit_id: int) -> None:
        self._c = connection
        self._audit_id = audit_id

    def participation_count(self) -> int:
        statement = select(func.count()).where(_participation.c.audit_id == self._audit_id)
        return int(self._c.execute(statement).scalar_one())

    def outstanding_returns(self) -> list[str]:
        statement = (
            select(_agency.c.name)
            .join(_participation, _participation.c.agency_id == _agency.c.id)
            .where(
                _participation.c.audit_id == self._audit_id,
                _participation.c.required.is_(True),
                _participation.c.return_status != "submitted",
            )
            .order_by(_agency.c.name)
        )
        return list(self._c.execute(statement).scalars())

    def finding_counts(self) -> tuple[int, int]:
        statement = select(
            func.count(), func.count().filter(_finding.c.moderated_at.is_(None))
        ).where(_finding.c.audit_id == self._audit_id)
        total, unmoderated = self._c.execute(statement).one()
        return int(total), int(unmoderated)

    def sign_off_decisions(self, round_: int) -> list[SignOffDecision]:
        statement = (
            select(_decision.c.person_id, _person.c.name, _decision.c.decision, _role.c.role)
            .join(_person, _person.c.id == _decision.c.person_id)
            .outerjoin(_role, _role.c.person_id == _decision.c.person_id)
            .where(_decision.c.audit_id == self._audit_id, _decision.c.round == round_)
        )
        grouped: dict[int, tuple[str, Decision, set[str]]] = {}
        for person_id, name, decision, role in self._c.execute(statement):
            entry = grouped.setdefault(person_id, (name, decision, set()))
            if role is not None:
                entry[2].add(role)
        return [
            SignOffDecision(pid, name, frozenset(roles), decision)
            for pid, (name, decision, roles) in sorted(grouped.items())
        ]

    def cases(self) -> list[CaseWindow]:
        statement = (
            select(_case.c.reference, _case.c.last_intervention_on)
            .where(_case.c.audit_id == self._audit_id)
            .order_by(_case.c.reference)
        )
        return [CaseWindow(ref, last) for ref, last in self._c.execute(statement)]

    def unassigned_cases(self) -> list[str]:
        assigned = select(_assignment.c.case_id)
        statement = (
            select(_case.c.reference)
            .where(_case.c.audit_id == self._audit_id, _case.c.id.not_in(assigned))
            .order_by(_case.c.reference)
        )
        return list(self._c.execute(statement).scalars())

    def conflicted_assignments(self) -> list[tuple[str, str]]:
        statement = (
            select(_person.c.name, _case.c.reference)
            .select_from(_assignment)
            .join(_case, _case.c.id == _assignment.c.case_id)
            .join(_person, _person.c.id == _assignment.c.person_id)
            .join(
                _conflict,
                and_(
                    _conflict.c.person_id == _assignment.c.person_id,
                    _conflict.c.case_reference == _case.c.reference,
                ),
            )
            .where(_case.c.audit_id == self._audit_id)
            .order_by(_case.c.reference)
        )
        return [(name, ref) for name, ref in self._c.execute(statement)]

    def open_escalations(self) -> list[str]:
        statement = (
            select(_agency.c.name)
            .join(_escalation, _escalation.c.agency_id == _agency.c.id)
            .where(_escalation.c.audit_id == self._audit_id, _escalation.c.assured_at.is_(None))
            .order_by(_agency.c.name)
        )
        return list(dict.fromkeys(self._c.execute(statement).scalars()))
