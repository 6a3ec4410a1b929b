"""Returns: what an agency (or an agency for one sampled case) fills in with the audit tool.

A return belongs to one round of returns (the visit of the state in which returns are open),
is saved as a draft as often as wanted, is refused at submission while required answers are
missing, and is locked once submitted until the coordinator reopens it. Who may touch it is
decided here: the agency's own lead, an auditor assigned to the case, or the coordinator.
Everyone else is told it does not exist. An answer to an immediate-risk question raises its
concern with the agency in the same write (``states.services.concerns``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from states.clock import as_utc
from states.definitions.tool import ToolDefinition
from states.errors import InvalidInput, NotFound, ReturnIncomplete, ReturnLocked, ReturnsClosed
from states.persistence import calendar_entries, notices
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.persistence.vocabulary import LinkPurpose, ReturnRequestStatus, ReturnStatus
from states.rules.answers import missing_required, normalise
from states.rules.policy import Permission
from states.services.audits import compiled_for
from states.services.concern_answers import after_returns_saved
from states.services.deps import Deps
from states.services.work import write_to_audit


@dataclass(frozen=True)
class ReturnView:
    id: int
    audit: str
    agency: str
    case: str | None
    round: int
    status: str
    answers: dict[str, str]


@dataclass(frozen=True)
class Saving:
    """What saving a return inside an open write needs: the audit, who acts, when, and the
    tool and phase this round collects (``states.services.case_returns`` saves several)."""

    connection: Connection
    row: AuditRow
    who: Actor
    now: datetime
    tool: ToolDefinition
    phase: str | None


@dataclass(frozen=True)
class _Target:
    agency_id: int
    case_id: int | None


def tool_for(deps: Deps, store: AuditStore, row: AuditRow) -> ToolDefinition:
    if row.tool_hash is None:
        raise InvalidInput(f"Audit {row.reference} has no audit tool, so it takes no returns.")
    return deps.catalogue.tool_by_hash(row.tool_hash, store.read_tool_snapshot)


def _target(
    connection: Connection,
    row: AuditRow,
    who: Actor,
    *,
    agency: str,
    case: str | None,
    tool: ToolDefinition,
) -> _Target:
    if (case is None) != (tool.completed_per == "agency"):
        per = {
            "case": "each sampled case",
            "attendee": "each registered attendee",
            "agency": "the agency as a whole",
        }[tool.completed_per]
        raise InvalidInput(f"Returns on audit {row.reference} are made for {per}.")
    agency_id = connection.execute(
        select(t.agency.c.id)
        .join(t.participation, t.participation.c.agency_id == t.agency.c.id)
        .where(t.agency.c.code == agency, t.participation.c.audit_id == row.id)
    ).scalar_one_or_none()
    where = f"{row.reference}/{agency}" + (f"/{case}" if case else "")
    if agency_id is None:
        raise NotFound("return", where)
    case_id = None if case is None else _case_of(connection, row.id, agency_id, case, where)
    if not may_touch(connection, who, agency_id, case_id):
        raise NotFound("return", where)
    return _Target(agency_id, case_id)


def _case_of(connection: Connection, audit_id: int, agency_id: int, case: str, where: str) -> int:
    case_id = connection.execute(
        select(t.case.c.id)
        .join(t.case_agency, t.case_agency.c.case_id == t.case.c.id)
        .where(
            t.case.c.audit_id == audit_id,
            t.case.c.reference == case,
            t.case_agency.c.agency_id == agency_id,
        )
    ).scalar_one_or_none()
    if case_id is None:
        raise NotFound("return", where)
    return int(case_id)


def may_touch(connection: Connection, who: Actor, agency_id: int, case_id: int | None) -> bool:
    if "coordinator" in who.roles:
        return True
    if "agency_lead" in who.roles and who.agency_id == agency_id:
        return True
    if case_id is None or "auditor" not in who.roles:
        return False
    assigned = connection.execute(
        select(t.assignment.c.id).where(
            t.assignment.c.case_id == case_id, t.assignment.c.person_id == who.id
        )
    ).first()
    return assigned is not None


def _find(connection: Connection, row: AuditRow, target: _Target) -> tuple[int, str] | None:
    found = connection.execute(
        select(t.audit_return.c.id, t.audit_return.c.status).where(
            t.audit_return.c.audit_id == row.id,
            t.audit_return.c.agency_id == target.agency_id,
            t.audit_return.c.case_key == (target.case_id or 0),
            t.audit_return.c.round == row.state_round,
        )
    ).first()
    return None if found is None else (int(found[0]), str(found[1]))


def _answers(connection: Connection, return_id: int) -> dict[str, str]:
    rows = connection.execute(
        select(t.answer.c.question_id, t.answer.c.value).where(t.answer.c.return_id == return_id)
    )
    return {question: value for question, value in rows}


def _view(
    connection: Connection, row: AuditRow, return_id: int, agency: str, case: str | None
) -> ReturnView:
    status = connection.execute(
        select(t.audit_return.c.status).where(t.audit_return.c.id == return_id)
    ).scalar_one()
    return ReturnView(
        return_id,
        row.reference,
        agency,
        case,
        row.state_round,
        status,
        _answers(connection, return_id),
    )


def _open_or_create(connection: Connection, row: AuditRow, target: _Target, now: datetime) -> int:
    found = _find(connection, row, target)
    if found is not None:
        if found[1] == ReturnStatus.SUBMITTED:
            raise ReturnLocked(audit=row.reference)
        return found[0]
    return int(
        connection.execute(
            insert(t.audit_return).returning(t.audit_return.c.id),
            {
                "audit_id": row.id,
                "agency_id": target.agency_id,
                "case_id": target.case_id,
                "case_key": target.case_id or 0,
                "round": row.state_round,
                "status": ReturnStatus.DRAFT,
                "started_at": now,
                "updated_at": now,
            },
        ).scalar_one()
    )


def _store_answers(
    connection: Connection,
    return_id: int,
    tool: ToolDefinition,
    given: Mapping[str, object],
    clean: Mapping[str, str],
) -> None:
    sections = {q.id: s.id for s, q in tool.questions()}
    touched = list(given)
    if touched:
        connection.execute(
            delete(t.answer).where(
                t.answer.c.return_id == return_id, t.answer.c.question_id.in_(touched)
            )
        )
    rows = [
        {"return_id": return_id, "question_id": q, "section_id": sections[q], "value": v}
        for q, v in clean.items()
    ]
    if rows:
        connection.execute(insert(t.answer), rows)


def open_tool(deps: Deps, uow: UnitOfWork, row: AuditRow) -> tuple[ToolDefinition, str | None]:
    """The tool and the phase of it this round collects; refused unless returns are open."""
    store = AuditStore(uow.connection)
    compiled = compiled_for(deps, store, row)
    if not compiled.stages.collects_returns(row.state):
        raise ReturnsClosed(audit=row.reference, state=row.state)
    return tool_for(deps, store, row), compiled.definition.state(row.state).phase


def save_draft(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    agency: str,
    case: str | None = None,
    answers: Mapping[str, object],
) -> ReturnView:
    """Save what is answered so far; a value of the wrong kind is refused, nothing stored."""

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> ReturnView:
        tool, phase = open_tool(deps, uow, row)
        return save_in(Saving(uow.connection, row, who, now, tool, phase), agency, case, answers)

    return write_to_audit(
        deps,
        audit,
        actor,
        "save_return",
        may=Permission.CONTRIBUTE_RETURNS,
        work=work,
        then=after_returns_saved(deps),
    )


def save_in(at: Saving, agency: str, case: str | None, answers: Mapping[str, object]) -> ReturnView:
    """Save a draft inside a write already open; a value of the wrong kind is refused."""
    clean, problems = normalise(at.tool, answers, at.phase)
    if problems:
        raise ReturnIncomplete(what="draft", problems=problems)
    target = _target(at.connection, at.row, at.who, agency=agency, case=case, tool=at.tool)
    return_id = _open_or_create(at.connection, at.row, target, at.now)
    _store_answers(at.connection, return_id, at.tool, answers, clean)
    at.connection.execute(
        update(t.audit_return).where(t.audit_return.c.id == return_id).values(updated_at=at.now)
    )
    return _view(at.connection, at.row, return_id, agency, case)


def submit(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    agency: str,
    case: str | None = None,
    answers: Mapping[str, object] | None = None,
) -> ReturnView:
    """Submit (saving ``answers`` first); refused with every missing or wrong answer listed."""

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> ReturnView:
        tool, phase = open_tool(deps, uow, row)
        at = Saving(uow.connection, row, who, now, tool, phase)
        return submit_in(at, agency, case, answers or {})

    return write_to_audit(
        deps,
        audit,
        actor,
        "submit_return",
        may=Permission.CONTRIBUTE_RETURNS,
        work=work,
        then=after_returns_saved(deps),
    )


def submit_in(
    at: Saving, agency: str, case: str | None, answers: Mapping[str, object]
) -> ReturnView:
    """Submit inside a write already open; refused with every missing or wrong answer."""
    from states.services.findings import findings_from_return

    connection, row = at.connection, at.row
    clean, problems = normalise(at.tool, answers, at.phase)
    target = _target(connection, row, at.who, agency=agency, case=case, tool=at.tool)
    return_id = _open_or_create(connection, row, target, at.now)
    merged = {**_answers(connection, return_id), **clean}
    for blank in set(answers) - set(clean):
        merged.pop(blank, None)
    problems += missing_required(at.tool, merged, at.phase)
    if problems:
        raise ReturnIncomplete(what="return", problems=problems)
    _store_answers(connection, return_id, at.tool, answers, clean)
    connection.execute(
        update(t.audit_return)
        .where(t.audit_return.c.id == return_id)
        .values(
            status=ReturnStatus.SUBMITTED,
            submitted_at=at.now,
            submitted_by=at.who.id,
            updated_at=at.now,
        )
    )
    _mark_participation(connection, row, target, at.now)
    findings_from_return(connection, row.id, return_id, at.tool, merged)
    return _view(connection, row, return_id, agency, case)


def _mark_participation(
    connection: Connection, row: AuditRow, target: _Target, now: datetime
) -> None:
    if target.case_id is None:
        connection.execute(
            update(t.participation)
            .where(
                t.participation.c.audit_id == row.id,
                t.participation.c.agency_id == target.agency_id,
            )
            .values(return_status=ReturnRequestStatus.SUBMITTED, submitted_at=now)
        )
        # The agency's part is in: the deadline leaves its people's calendars.
        calendar_entries.release_agency(connection, row.id, target.agency_id, at=now)


def reopen(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    agency: str,
    case: str | None = None,
    reason: str,
) -> ReturnView:
    """The coordinator unlocks a submitted return while returns are open; its findings go
    back for moderation, and the agency's leads are e-mailed a fresh link to it (the link
    they had was used up, or expires with the round)."""
    if not reason.strip():
        raise InvalidInput("Say why the return is being reopened.")

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> ReturnView:
        tool, _ = open_tool(deps, uow, row)
        target = _target(uow.connection, row, who, agency=agency, case=case, tool=tool)
        found = _find(uow.connection, row, target)
        if found is None or found[1] != ReturnStatus.SUBMITTED:
            raise InvalidInput(f"That return on audit {row.reference} is not submitted.")
        uow.connection.execute(delete(t.finding).where(t.finding.c.return_id == found[0]))
        # submitted_by is kept: a draft with a submitter is how a reopened return is told
        # from one never submitted (states.services.returns_status).
        uow.connection.execute(
            update(t.audit_return)
            .where(t.audit_return.c.id == found[0])
            .values(status=ReturnStatus.DRAFT, submitted_at=None, updated_at=now)
        )
        uow.connection.execute(
            update(t.participation)
            .where(
                t.participation.c.audit_id == row.id,
                t.participation.c.agency_id == target.agency_id,
            )
            .values(return_status=ReturnRequestStatus.REOPENED, submitted_at=None)
        )
        _send_fresh_link(uow.connection, row, target.agency_id, found[0], now)
        return _view(uow.connection, row, found[0], agency, case)

    return write_to_audit(
        deps,
        audit,
        actor,
        "reopen_return",
        may=Permission.COORDINATE,
        work=work,
        reason=reason,
    )


def _send_fresh_link(
    connection: Connection, row: AuditRow, agency_id: int, return_id: int, now: datetime
) -> None:
    """The return's request again, to the agency's leads, with a link minted when it is sent.
    Keyed by the audit's version as well, so a return reopened twice is asked for twice."""
    due = connection.execute(
        select(t.deadline.c.due_at).where(
            t.deadline.c.audit_id == row.id, t.deadline.c.round == row.state_round
        )
    ).scalar_one_or_none()
    if due is None:  # a return link lasts as long as the round's deadline: none, no link
        return
    context = notices.audit_context(
        row.reference,
        row.theme,
        agency=notices.agency_name(connection, agency_id),
        deadline_at=as_utc(due).isoformat(),
    )
    notices.queue(
        connection,
        kind="return_requested",
        audit_id=row.id,
        subject_id=return_id,
        recipient_ids=notices.recipients(
            connection, roles=["agency_lead"], lead_id=row.lead_id, agency_id=agency_id
        ),
        at=now,
        context=context,
        key_prefix=f"return_reopened:{row.id}:{return_id}:{row.version}",
        link_purpose=LinkPurpose.RETURN,
    )


def read(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, agency: str, case: str | None = None
) -> ReturnView:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        who = store.load_actor(actor)
        tool = tool_for(deps, store, row)
        return read_in(uow.connection, row, who, tool, agency=agency, case=case)


def read_in(
    connection: Connection,
    row: AuditRow,
    who: Actor,
    tool: ToolDefinition,
    *,
    agency: str,
    case: str | None,
) -> ReturnView:
    """The return as it stands this round, for whoever may touch it ("not started" when there
    is none yet); everyone else is told it does not exist."""
    target = _target(connection, row, who, agency=agency, case=case, tool=tool)
    found = _find(connection, row, target)
    if found is None:
        return ReturnView(0, row.reference, agency, case, row.state_round, "not started", {})
    return _view(connection, row, found[0], agency, case)
