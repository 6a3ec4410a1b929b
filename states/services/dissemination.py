"""Recording that a frozen report was shared: with whom, by which channel, when, and by whom.

The framework: "The outcome of each audit will be disseminated through the learning hub,
OSCP website and practitioner learning on a page or 7-minute briefings." Only a report that
was signed off and frozen can be recorded as shared, so the record always points at the
exact text (and hash) that went out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from states.clock import as_utc
from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.rules.policy import Permission
from states.services.deps import Deps
from states.services.freezing import stages_of
from states.services.report_store import CHANNELS, KINDS, latest_frozen
from states.services.reports import product_agency
from states.services.work import write_to_audit

MAX_AUDIENCE = 200


@dataclass(frozen=True)
class DisseminationView:
    kind: str
    agency: str | None
    version: int
    audience: str
    channel: str
    at: datetime
    by: str


def record_dissemination(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    kind: str,
    audience: str,
    channel: str,
    agency: str | None = None,
    request_key: str | None = None,
) -> int:
    """Record that the newest frozen report of ``kind`` went to ``audience`` by ``channel``;
    returns the record's id. With ``request_key`` (a flow run id) it is recorded once: the
    same key again returns the first record."""
    audience = " ".join(audience.split())
    if kind not in KINDS:
        raise InvalidInput(f"A report is one of: {', '.join(KINDS)}.")
    if channel not in CHANNELS:
        raise InvalidInput(f"A channel is one of: {', '.join(CHANNELS)}.")
    if not audience or len(audience) > MAX_AUDIENCE:
        raise InvalidInput(
            f"Say in up to {MAX_AUDIENCE} characters who received it, e.g. 'all schools'."
        )

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> int:
        c = uow.connection
        # Under the audit's lock, so a second delivery of the same run waits, then finds it.
        earlier = _recorded_by(uow, request_key)
        if earlier is not None:
            raise _AlreadyRecorded(earlier)
        if not stages_of(deps, AuditStore(c), row).can_publish(row.state):
            raise InvalidInput(
                f"Audit {row.reference} is '{row.state}': only a signed-off report is shared."
            )
        agency_id = product_agency(c, row, kind, agency)
        found = latest_frozen(c, row.id, kind, agency_id)
        if found is None:
            raise NotFound(f"frozen {kind.replace('_', ' ')} of audit", row.reference)
        values = {"audit_id": row.id, "report_id": found.id, "audience": audience}
        values |= {"channel": channel, "disseminated_at": now, "disseminated_by": who.id}
        values["request_key"] = request_key
        statement = insert(t.dissemination).returning(t.dissemination.c.id)
        return int(c.execute(statement, values).scalar_one())

    with deps.uow(readonly=True) as uow:
        earlier = _recorded_by(uow, request_key)
    if earlier is not None:
        return earlier
    try:
        # The audience label is a person's words: the history names the kind and channel.
        return write_to_audit(
            deps,
            audit,
            actor,
            "record_dissemination",
            may=Permission.ORGANISE,
            work=work,
            reason=f"Shared the {kind.replace('_', ' ')} by {channel.replace('_', ' ')}",
        )
    except _AlreadyRecorded as done:
        return done.record_id


class _AlreadyRecorded(Exception):
    """Raised inside the write to roll it back: the same request was recorded already."""

    def __init__(self, record_id: int) -> None:
        super().__init__(record_id)
        self.record_id = record_id


def _recorded_by(uow: UnitOfWork, request_key: str | None) -> int | None:
    if request_key is None:
        return None
    found = uow.connection.execute(
        select(t.dissemination.c.id).where(t.dissemination.c.request_key == request_key)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def list_disseminations(deps: Deps, *, audit: AuditKey) -> list[DisseminationView]:
    d, r = t.dissemination, t.report
    with deps.uow(readonly=True) as uow:
        row = AuditStore(uow.connection).load_audit(audit)
        found = uow.connection.execute(
            select(
                r.c.kind,
                t.agency.c.code,
                r.c.version,
                d.c.audience,
                d.c.channel,
                d.c.disseminated_at,
                t.person.c.name,
            )
            .join(r, r.c.id == d.c.report_id)
            .outerjoin(t.agency, t.agency.c.id == r.c.agency_id)
            .join(t.person, t.person.c.id == d.c.disseminated_by)
            .where(d.c.audit_id == row.id)
            .order_by(d.c.disseminated_at, d.c.id)
        )
        return [
            DisseminationView(kind, code, version, audience, channel, as_utc(at), by)
            for kind, code, version, audience, channel, at, by in found
        ]
