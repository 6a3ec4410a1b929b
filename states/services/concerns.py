"""Raising an immediate-risk concern with an agency, by name or by an answer in a return.

The framework ("Lessons and actions") escalates a concern about immediate risk or unsafe
practice to the agency for a response and assurance. Whoever raises it, the same records
follow: the escalation (holding the concern's words, which no e-mail carries), an event in
the audit's history, and one e-mail to each person told. The agency answers through its
strategic leads, each e-mailed a link to read the concern and respond; an agency without one
answers through its agency leads, and the coordinators are told too, so a concern never rests
with the chair alone. An agency with nobody to tell is the target only when a coordinator
confirms it, with a reason the history keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from states.definitions.model import ImmediateRiskDef
from states.definitions.triggers import RAISE_IMMEDIATE_RISK
from states.errors import InvalidInput, NotFound
from states.persistence import notices
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditRow, AuditStore
from states.persistence.vocabulary import LinkPurpose
from states.rules.policy import Permission, require
from states.services.audits import compiled_for, fire_loaded
from states.services.deps import Deps
from states.services.writes import Writing, write_to_audit

# Who answers for an agency, in order: its strategic leads, or else its agency leads.
RESPONDERS = ("strategic_lead", "agency_lead")
ROLE_WORDS = {"strategic_lead": "strategic lead", "agency_lead": "agency lead"}


@dataclass(frozen=True)
class Told:
    """One person told of a concern, and why: by name and role, never by address."""

    name: str
    as_what: str
    # Whether their e-mail carries their own link to read the concern and respond.
    link: bool


@dataclass(frozen=True)
class ConcernRaised:
    id: int
    agency: str
    assurance_due_at: datetime
    told: tuple[Told, ...]

    @property
    def agency_told(self) -> bool:
        """Whether someone at the agency can read the concern and answer it."""
        return any(person.link for person in self.told)


@dataclass(frozen=True)
class _Plan:
    """Who a concern about one agency goes to: those who answer for the agency (with a link)
    and the others told (the chair; the coordinators when it has no strategic lead)."""

    agency_id: int
    agency_name: str
    responders: tuple[int, ...]
    responder_role: str
    others: tuple[int, ...]
    wants_agency: bool
    # The agency has no strategic lead to answer, though the type asks for one.
    fell_back: bool = False

    @property
    def nobody_at_agency(self) -> bool:
        return self.wants_agency and not self.responders

    def note(self) -> str:
        """What the history adds about who was told, when it is not the usual."""
        if self.nobody_at_agency:
            return "; nobody at the agency can be told, so the coordinators are"
        if self.fell_back:
            return "; it has no strategic lead, so its agency leads and the coordinators are told"
        return ""


def rule_of(deps: Deps, store: AuditStore, row: AuditRow) -> ImmediateRiskDef:
    return compiled_for(deps, store, row).definition.immediate_risk or ImmediateRiskDef()


def plan_for(
    connection: Connection, rule: ImmediateRiskDef, row: AuditRow, agency_id: int
) -> _Plan:
    wanted = set(rule.notify)
    # Who may answer, in order: a type asking for strategic leads falls back to agency leads.
    order = RESPONDERS if "strategic_lead" in wanted else [r for r in RESPONDERS if r in wanted]
    responders, role = _responders(connection, row, agency_id, order)
    fell_back = bool(order) and role != order[0]
    told = wanted - set(RESPONDERS)
    if fell_back:  # the agency's usual answerer is missing: the coordinators hear of it too
        told.add("coordinator")
    others = notices.recipients(connection, roles=told, lead_id=row.lead_id, agency_id=None)
    return _Plan(
        agency_id,
        notices.agency_name(connection, agency_id),
        tuple(responders),
        role,
        tuple(p for p in others if p not in responders),
        wants_agency=bool(order),
        fell_back=fell_back,
    )


def _responders(
    connection: Connection, row: AuditRow, agency_id: int, order: Sequence[str]
) -> tuple[list[int], str]:
    """The first of ``order``'s roles anyone at the agency holds, and its holders."""
    for role in order:
        found = notices.recipients(
            connection, roles=[role], lead_id=row.lead_id, agency_id=agency_id
        )
        if found:
            return found, role
    return [], order[-1] if order else "strategic_lead"


def raise_concern(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    agency: str,
    concern: str,
    confirm_no_recipient: str | None = None,
) -> ConcernRaised:
    """Escalate ``concern`` to ``agency`` for response and assurance, from any open state;
    says who was told. An agency nobody can be told of is refused unless a coordinator
    confirms it with ``confirm_no_recipient`` (why), which the history keeps."""
    if not concern.strip():
        raise InvalidInput("Describe the concern (without naming the child).")
    with write_to_audit(deps, audit=audit, actor=actor) as w:
        agency_id = agency_id_of(w.connection, agency)
        plan = plan_for(w.connection, rule_of(deps, w.store, w.row), w.row, agency_id)
        reason = f"Immediate-risk concern raised with agency {agency}{plan.note()}"
        if plan.nobody_at_agency and confirm_no_recipient:
            reason += f", confirmed by the coordinator: {confirm_no_recipient.strip()}"
        fire_loaded(
            deps, w.store, w.row, w.who, trigger=RAISE_IMMEDIATE_RISK, reason=reason, now=w.now
        )
        _check_confirmation(w, plan, confirm_no_recipient)
        return open_escalation(deps, w, plan, concern=concern)
    raise AssertionError("unreachable: the write returns or raises")


def _check_confirmation(w: Writing, plan: _Plan, confirmation: str | None) -> None:
    if not plan.nobody_at_agency:
        if confirmation is not None:
            raise InvalidInput(
                f"{plan.agency_name} has people to tell of the concern; raise it without "
                "confirming that nobody can be told."
            )
        return
    if confirmation is None or not confirmation.strip():
        raise InvalidInput(
            f"Nobody at {plan.agency_name} can be told of a concern: it has no active "
            "strategic lead or agency lead. Add one to the directory first, or ask a "
            "coordinator to raise it anyway, confirming why (--confirm-no-recipient)."
        )
    require(
        w.store.roles_in(w.who, w.row),
        Permission.COORDINATE,
        refusal=f"Only a coordinator may raise a concern with {plan.agency_name}, whom nobody "
        f"can be told of, and {w.who.name} is not one.",
    )


def agency_id_of(connection: Connection, code: str) -> int:
    found = connection.execute(
        select(t.agency.c.id).where(t.agency.c.code == code)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("agency", code)
    return int(found)


def open_escalation(
    deps: Deps,
    w: Writing,
    plan: _Plan,
    *,
    concern: str,
    row: AuditRow | None = None,
    source: tuple[int, str] | None = None,
) -> ConcernRaised:
    """The escalation and its e-mails, inside the write that records its event. ``source``
    is the (return, question) whose answer raised it."""
    audit = row or w.row
    rule = rule_of(deps, w.store, audit)
    due = deps.calendar.due_at(
        w.now, working_days=rule.assurance_within_working_days, calendar_days=None
    )
    values: dict[str, object] = {"audit_id": audit.id, "agency_id": plan.agency_id}
    values |= {"raised_by": w.who.id, "raised_at": w.now, "concern": concern}
    values["assurance_due_at"] = due
    if source is not None:
        values |= {"return_id": source[0], "question_id": source[1]}
    escalation_id = int(
        w.connection.execute(insert(t.escalation).returning(t.escalation.c.id), values).scalar_one()
    )
    _tell(w.connection, audit, plan, escalation_id, due=due, now=w.now)
    return ConcernRaised(escalation_id, plan.agency_name, due, _told(w.connection, audit, plan))


def _tell(
    connection: Connection,
    row: AuditRow,
    plan: _Plan,
    escalation_id: int,
    *,
    due: datetime,
    now: datetime,
) -> None:
    """Those who answer for the agency get a link to read the concern and respond; the
    others, the audit's page (where the chair and coordinators read it)."""
    context = notices.audit_context(
        row.reference, row.theme, agency=plan.agency_name, deadline_at=due.isoformat()
    )
    for people, link in ((plan.responders, LinkPurpose.ASSURANCE), (plan.others, None)):
        notices.queue(
            connection,
            kind="immediate_risk_raised",
            audit_id=row.id,
            subject_id=escalation_id,
            recipient_ids=people,
            at=now,
            context=context,
            link_purpose=link,
        )


def _told(connection: Connection, row: AuditRow, plan: _Plan) -> tuple[Told, ...]:
    names = dict(
        connection.execute(
            select(t.person.c.id, t.person.c.name).where(
                t.person.c.id.in_([*plan.responders, *plan.others])
            )
        ).all()
    )
    coordinators = set(
        notices.recipients(connection, roles=["coordinator"], lead_id=0, agency_id=None)
    )
    at_agency = f"{ROLE_WORDS[plan.responder_role]} at {plan.agency_name}"
    told = [Told(names[p], at_agency, True) for p in plan.responders]
    for person in plan.others:
        as_what = "the audit's chair" if person == row.lead_id else "coordinator"
        if person != row.lead_id and person not in coordinators:
            as_what = "told as the audit type declares"
        told.append(Told(names[person], as_what, False))
    return tuple(told)


def told_of(deps: Deps, *, audit: AuditKey, escalation_id: int) -> tuple[Told, ...]:
    """Who a concern raised on ``audit`` goes to, as the directory stands now: what the web
    page that raised it says after its redirect, as ``oscp audit concern`` says at once."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        agency_id = uow.connection.execute(
            select(t.escalation.c.agency_id).where(
                t.escalation.c.id == escalation_id, t.escalation.c.audit_id == row.id
            )
        ).scalar_one_or_none()
        if agency_id is None:
            raise NotFound("concern", escalation_id)
        plan = plan_for(uow.connection, rule_of(deps, store, row), row, int(agency_id))
        return _told(uow.connection, row, plan)
