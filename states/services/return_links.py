"""Sending an agency its return link again: the organisers' answer to "we never got it" or
"the link stopped working".

The agency's unused return links on the audit are withdrawn and its audit leads are asked
again (the ``return_requested`` message, whose link is minted when the relay sends it), in
one write to the audit, so the history says who sent it and when. Only while returns are
open, and only to an agency that still owes a return and has an audit lead to ask.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, exists, select

from states.clock import as_utc
from states.errors import InvalidInput
from states.persistence import notices, tokens
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.persistence.vocabulary import LinkPurpose, ReturnStatus
from states.rules.policy import Permission
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.return_reads import Agency, taking_part
from states.services.returns import open_tool
from states.services.work import write_to_audit

# Completes "this link is no longer needed: ..." on the page an older link opens.
RESENT = "a newer link to this return has been sent; use the most recent e-mail"


def resend_return_link(deps: Deps, *, audit: AuditKey, actor: PersonKey, agency: str) -> int:
    """Withdraw ``agency``'s unused return links on ``audit`` and e-mail its audit leads a
    fresh one; returns how many people it goes to."""

    def work(uow: UnitOfWork, row: AuditRow, _who: Actor, now: datetime) -> int:
        c = uow.connection
        tool, _ = open_tool(deps, uow, row)
        taking = taking_part(c, row, agency)
        if not _still_owes(c, row, taking, per_case=tool.per_subject):
            raise InvalidInput(
                f"{taking.name} owes no return on audit {row.reference} just now, so there "
                "is no link to send."
            )
        leads = notices.recipients(
            c, roles=["agency_lead"], lead_id=row.lead_id, agency_id=taking.id
        )
        if not leads:
            raise InvalidInput(
                f"{taking.name} has no active audit lead to send the link to; add one in the "
                "directory first."
            )
        due = _due(c, row)
        withdrawn = (
            (t.token.c.audit_id == row.id)
            & (t.token.c.purpose == LinkPurpose.RETURN)
            & (t.token.c.agency_id == taking.id)
        )
        tokens.revoke(c, withdrawn, at=now, why=RESENT)
        state_title = compiled_for(deps, AuditStore(c), row).definition.state(row.state).title
        return notices.queue(
            c,
            kind="return_requested",
            audit_id=row.id,
            # The round, as the first request was: the agency counts as asked in it.
            subject_id=row.state_round,
            recipient_ids=leads,
            at=now,
            context=notices.audit_context(
                row.reference,
                row.theme,
                agency=taking.name,
                state_title=state_title,
                deadline_at=due,
            ),
            # The audit's version makes each sending its own message.
            key_prefix=f"return_resent:{row.id}:{taking.id}:{row.version}",
            link_purpose=LinkPurpose.RETURN,
        )

    return write_to_audit(
        deps,
        audit,
        actor,
        "resend_return_link",
        may=Permission.ORGANISE,
        work=work,
        reason=f"Return link sent again to agency {agency}",
    )


def _due(connection: Connection, row: AuditRow) -> str:
    """The round's deadline, which the e-mail gives and the new link lasts beyond."""
    due = connection.execute(
        select(t.deadline.c.due_at).where(
            t.deadline.c.audit_id == row.id, t.deadline.c.round == row.state_round
        )
    ).scalar_one_or_none()
    if due is None:
        raise InvalidInput(
            f"Audit {row.reference} has no deadline for this round of returns, so a link to "
            "it could not be made."
        )
    return as_utc(due).isoformat()


def _still_owes(connection: Connection, row: AuditRow, agency: Agency, *, per_case: bool) -> bool:
    """Whether any return the agency owes this round is not yet submitted."""
    r = t.audit_return
    mine = (
        (r.c.audit_id == row.id)
        & (r.c.agency_id == agency.id)
        & (r.c.round == row.state_round)
        & (r.c.status == ReturnStatus.SUBMITTED)
    )
    if not per_case:
        done = select(r.c.id).where(mine, r.c.case_key == 0)
        return connection.execute(done).first() is None
    k, ka = t.case, t.case_agency
    owed = (
        select(k.c.id)
        .join(ka, ka.c.case_id == k.c.id)
        .where(
            k.c.audit_id == row.id,
            ka.c.agency_id == agency.id,
            ~exists().where(mine, r.c.case_id == k.c.id),
        )
        .limit(1)
    )
    return connection.execute(owed).first() is not None
