"""Messages a transition causes, queued in its own transaction.

Who is asked follows from the definition rather than a list per audit type: entering a state
whose deadline is owed by the participants asks their agency leads for returns (or, where no
returns are collected, an agency's leads for the response it writes as the report; an audit
started in such a state asks at once, ``states.services.audits``); one owed by
the sign-off members asks those who may sign off; the signing-off state's approval tells the
chair and coordinators it is signed off; its refusal sends the audit back to the chair for
assurance (which ways out approve and refuse: ``states.rules.stages``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from states.clock import as_utc
from states.definitions.model import AuditTypeDefinition, TransitionDef
from states.definitions.stage_names import Stage
from states.persistence import notices
from states.persistence import tables as t
from states.persistence.store import AuditRow
from states.persistence.vocabulary import LinkPurpose
from states.rules.stages import Stages
from states.services import sign_off
from states.services.withdrawal import withdrawal_told

# Asked of an agency writing its response as the report, where no returns are collected.
RESPONSE_REQUESTED = "response_requested"


def after_transition(
    connection: Connection,
    definition: AuditTypeDefinition,
    row: AuditRow,
    transition: TransitionDef,
    *,
    stages: Stages,
    new_state: str,
    new_round: int,
    at: datetime,
) -> None:
    def send(kind: str, people: list[int], link: LinkPurpose | None = None, **extra: str) -> None:
        context = notices.audit_context(
            row.reference, row.theme, state_title=definition.state(new_state).title, **extra
        )
        notices.queue(
            connection,
            kind=kind,
            audit_id=row.id,
            subject_id=new_round,
            recipient_ids=people,
            at=at,
            context=context,
            link_purpose=link,
        )

    if stages.approves(row.state, transition.trigger):
        send(
            "sign_off_decided",
            _people(connection, row, ["chair", "coordinator"]),
            decision="approved",
        )
    if stages.refuses(row.state, transition.trigger):
        # By when, where the state it goes to has a deadline: the e-mail says so and carries
        # it as a calendar entry.
        chair = _people(connection, row, ["chair"])
        if definition.state(new_state).deadline is None:
            send("further_assurance_requested", chair)
        else:
            due = _due_at(connection, row.id, new_round)
            send("further_assurance_requested", chair, deadline_at=due)
    if stages.approves(row.state, transition.trigger) or stages.refuses(
        row.state, transition.trigger
    ):
        # Those asked who had not decided hear it is over, once; never anyone's comment.
        waiting = sign_off_members(connection, definition, row, row.state_round)
        decided = "approved" if stages.approves(row.state, transition.trigger) else "refused"
        send("sign_off_closed", waiting, decision=decided)
    if not transition.internal and definition.state(new_state).stage == Stage.WITHDRAWN:
        send("audit_withdrawn", withdrawal_told(connection, row))
    spec = None if transition.internal else definition.state(new_state).deadline
    if spec is None:
        return
    if spec.owed_by == "participants":
        ask_participants(
            connection, definition, row, stages=stages, state=new_state, round_=new_round, at=at
        )
    elif spec.owed_by == "sign_off_members" and definition.sign_off is not None:
        members = sign_off_members(connection, definition, row, new_round)
        due = _due_at(connection, row.id, new_round)
        send("sign_off_requested", members, LinkPurpose.SIGN_OFF, deadline_at=due)


def ask_participants(
    connection: Connection,
    definition: AuditTypeDefinition,
    row: AuditRow,
    *,
    stages: Stages,
    state: str,
    round_: int,
    at: datetime,
) -> None:
    """On entering ``state`` (or starting in it), whose deadline the participants owe: where
    returns are collected, each agency lead is asked for theirs, with a link to it; anywhere
    else (an agency writing its response as the report, ``states.definitions.return_checks``)
    the agency's leads are asked for that response, which no link takes."""
    collecting = stages.collects_returns(state)
    context = notices.audit_context(
        row.reference,
        row.theme,
        state_title=definition.state(state).title,
        deadline_at=_due_at(connection, row.id, round_),
    )
    notices.queue(
        connection,
        kind="return_requested" if collecting else RESPONSE_REQUESTED,
        audit_id=row.id,
        subject_id=round_,
        recipient_ids=(
            _agency_leads(connection, row.id) if collecting else _responding(connection, row.id)
        ),
        at=at,
        context=context,
        link_purpose=LinkPurpose.RETURN if collecting else None,
    )


def audit_started(
    connection: Connection,
    definition: AuditTypeDefinition,
    *,
    audit_id: int,
    reference: str,
    theme: str,
    lead_id: int,
    at: datetime,
) -> None:
    """The chair hears of the audit they are to chair as soon as it is started."""
    notices.queue(
        connection,
        kind="audit_started",
        audit_id=audit_id,
        subject_id=1,
        recipient_ids=[lead_id],
        at=at,
        context=notices.audit_context(
            reference,
            theme,
            audit_title=definition.title,
            state_title=definition.state(definition.initial_state).title,
        ),
    )


def exception_raised(
    connection: Connection,
    definition: AuditTypeDefinition,
    *,
    audit_id: int,
    reference: str,
    theme: str,
    told_already: set[int],
    agencies: list[str],
    at: datetime,
) -> None:
    """An exception is "raised with the OSCP learning hub for progression" (framework s.5):
    its members hear of it at once, each once (the chair, told it is theirs to chair, and
    whoever raised it excepted). The e-mail names the agency, never the finding."""
    members = notices.recipients(
        connection, roles=["learning_hub_member"], lead_id=0, agency_id=None
    )
    extra = {"audit_title": definition.title}
    if len(agencies) == 1:
        extra["agency"] = str(
            connection.execute(
                select(t.agency.c.name).where(t.agency.c.code == agencies[0])
            ).scalar_one()
        )
    notices.queue(
        connection,
        kind="exception_raised",
        audit_id=audit_id,
        subject_id=1,
        recipient_ids=[p for p in members if p not in told_already],
        at=at,
        context=notices.audit_context(
            reference,
            theme,
            state_title=definition.state(definition.initial_state).title,
            **extra,
        ),
    )


def _people(connection: Connection, row: AuditRow, roles: list[str]) -> list[int]:
    return notices.recipients(connection, roles=roles, lead_id=row.lead_id, agency_id=None)


def _due_at(connection: Connection, audit_id: int, round_: int) -> str:
    due = connection.execute(
        select(t.deadline.c.due_at).where(
            t.deadline.c.audit_id == audit_id, t.deadline.c.round == round_
        )
    ).scalar_one()
    return as_utc(due).isoformat()


def _agency_leads(connection: Connection, audit_id: int) -> list[int]:
    statement = (
        select(t.person.c.id)
        .join(t.role, t.role.c.person_id == t.person.c.id)
        .where(
            t.person.c.agency_id.in_(notices.owing_agencies(connection, audit_id)),
            t.role.c.role == "agency_lead",
            t.person.c.active,
        )
    )
    return sorted(set(connection.execute(statement).scalars()))


def _responding(connection: Connection, audit_id: int) -> list[int]:
    """The agency leads and strategic leads of the agencies taking part: those who write an
    agency's response (``states.rules.policy.Permission.WRITE_REPORT``)."""
    statement = (
        select(t.person.c.id)
        .join(t.role, t.role.c.person_id == t.person.c.id)
        .join(t.participation, t.participation.c.agency_id == t.person.c.agency_id)
        .where(
            t.participation.c.audit_id == audit_id,
            t.role.c.role.in_(("agency_lead", "strategic_lead")),
            t.person.c.active,
        )
    )
    return sorted(set(connection.execute(statement).scalars()))


def sign_off_members(
    connection: Connection, definition: AuditTypeDefinition, row: AuditRow, round_: int
) -> list[int]:
    """Those who may sign off and have not yet decided in this round (never the author): the
    members of the bodies the audit's rule names (``states.services.sign_off``)."""
    rule = sign_off.audit_rule(connection, definition, row.id)
    return sign_off.undecided(connection, rule, row, round_)
