"""Course attendees of a training-impact audit: whose reports the audit is based on.

Framework s.7: the annual audit of training impact "is based on the reports of course
attendees". The smallest model that does this reuses what case audits already have: each
attendee is a case row of the audit, known only by a pseudonymous reference (generated, or
the partnership's own from a CSV) and linked to the agency whose training lead gathers their
returns, so one return per attendee per round (before, after, follow-up) flows through the
same return links, the same ``all_returns_in`` gate, reopening and reminders. ``attendee``
adds the course and cohort, so the aggregates can be read per course and cohort. Names are
never taken: a reference that looks like one is refused, as for cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select

from states.errors import InvalidInput
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.rules.case_list import CaseCandidate
from states.rules.policy import Permission
from states.services.deps import Deps
from states.services.starting import invite
from states.services.work import check_case_reference, insert_cases, write_to_audit

COURSE_LENGTH = 120
COHORT_LENGTH = 60


@dataclass(frozen=True)
class NewAttendee:
    """One attendee to register; ``reference`` ``None`` has the engine number them."""

    agency: str
    course: str
    cohort: str
    reference: str | None = None


def attendees(*, agency: str, course: str, cohort: str, count: int) -> list[NewAttendee]:
    """``count`` attendees of one agency on one course and cohort, numbered by the engine."""
    if not 1 <= count <= 1_000:
        raise InvalidInput("Register between 1 and 1,000 attendees at a time.")
    return [NewAttendee(agency, course, cohort) for _ in range(count)]


def register_attendees(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, new: Sequence[NewAttendee]
) -> list[str]:
    """Register attendees (their agencies invited if not yet taking part) in one
    transaction; returns their references in order. The coordinator or chair registers."""
    for one in new:
        _check(one)

    def work(uow: UnitOfWork, row: AuditRow, _who: Actor, _now: datetime) -> list[str]:
        _check_tool(deps, AuditStore(uow.connection), row)
        invite(uow, row.id, [one.agency for one in new])
        taken = uow.connection.execute(
            select(func.count()).select_from(t.case).where(t.case.c.audit_id == row.id)
        ).scalar_one()
        references = [
            one.reference or f"{row.reference}-A{int(taken) + n:03d}"
            for n, one in enumerate(new, start=1)
        ]
        cases = [
            CaseCandidate(reference, (one.agency,), None, None)
            for reference, one in zip(references, new, strict=True)
        ]
        ids = insert_cases(uow.connection, row.id, cases)
        uow.connection.execute(
            insert(t.attendee),
            [
                {"case_id": case_id, "course": one.course.strip(), "cohort": one.cohort.strip()}
                for case_id, one in zip(ids, new, strict=True)
            ],
        )
        return references

    if not new:
        raise InvalidInput("Give at least one attendee to register.")
    courses = sorted({one.course.strip() for one in new})
    return write_to_audit(
        deps,
        audit,
        actor,
        "register_attendees",
        may=Permission.ORGANISE,
        work=work,
        reason=f"{len(new)} attendee(s) registered on {', '.join(courses)}",
    )


def _check(one: NewAttendee) -> None:
    if one.reference is not None:
        check_case_reference(one.reference)
    if not one.course.strip() or len(one.course.strip()) > COURSE_LENGTH:
        raise InvalidInput(f"Name the course, in at most {COURSE_LENGTH} characters.")
    if not one.cohort.strip() or len(one.cohort.strip()) > COHORT_LENGTH:
        raise InvalidInput(f"Name the cohort, in at most {COHORT_LENGTH} characters.")


def _check_tool(deps: Deps, store: AuditStore, row: AuditRow) -> None:
    tool = (
        None
        if row.tool_hash is None
        else deps.catalogue.tool_by_hash(row.tool_hash, store.read_tool_snapshot)
    )
    if tool is None or tool.completed_per != "attendee":
        raise InvalidInput(
            f"Audit {row.reference}'s tool is not completed per course attendee, so it takes "
            "no attendees."
        )
