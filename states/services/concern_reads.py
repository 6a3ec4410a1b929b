"""Reading an immediate-risk concern: only those who must, and every read kept.

A concern's words (and the agency's assurance on it) are need-to-know. They are shown behind
the agency's own assurance link, to the strategic lead (or agency lead) it was sent to, and on
the audit's page to its chair and the coordinators; never in an e-mail, a log line or any
other page. Each time the words are shown, a ``concern_read`` row records who, when, which
concern and how they came to it, in the same moment the page is built; the log says the
same by ids only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import aliased

from states.clock import as_utc, as_utc_or_none
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditRow, AuditStore
from states.persistence.vocabulary import ConcernReadVia, LinkPurpose
from states.rules.policy import Permission, allows
from states.services import links
from states.services.deps import Deps
from states.services.links import LinkPage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Read:
    """One time a concern was shown: to whom, when, how."""

    person: str
    at: datetime
    via: ConcernReadVia


@dataclass(frozen=True)
class Concern:
    """A concern as those who may read it see it."""

    id: int
    agency: str
    raised_at: datetime
    raised_by: str
    assurance_due_at: datetime | None
    words: str
    # Raised by an answer in a return: the case (when per case) and the question asked.
    case: str | None = None
    question: str | None = None
    assured_at: datetime | None = None
    assured_by: str | None = None
    assurance: str | None = None
    # The reads by the agency's own links, for the chair and coordinators to see.
    agency_reads: tuple[Read, ...] = ()


@dataclass(frozen=True)
class AuditConcerns:
    """The audit page's concerns: the words only when the viewer may read them."""

    may_read: bool
    concerns: tuple[Concern, ...] = ()


def read_by_link(deps: Deps, token: str) -> tuple[LinkPage, Concern]:
    """The concern behind an assurance link, for the link's holder (every check of the link
    first: ``links.open_link``); the read is kept."""
    page = links.open_link(deps, token, purpose=LinkPurpose.ASSURANCE)
    with deps.uow() as uow:
        grant = tokens.find(uow.connection, token)
        row = AuditStore(uow.connection).load_audit(grant.audit_id)
        assert grant.escalation_id is not None  # an assurance link names its concern
        concern = _concern(deps, uow.connection, row, grant.escalation_id)
        _keep_read(uow.connection, concern.id, grant.person_id, ConcernReadVia.LINK, deps)
        uow.commit()
    return page, concern


def on_audit_page(deps: Deps, *, audit: AuditKey, as_person: PersonKey) -> AuditConcerns:
    """The audit's concerns with their words and assurance, for its chair and coordinators
    (each read kept); for anyone else, only that there are concerns they may not read."""
    with deps.uow() as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        viewer = store.load_actor(as_person)
        if not allows(store.roles_in(viewer, row), Permission.READ_CONCERNS):
            return AuditConcerns(False)
        ids = uow.connection.execute(
            select(t.escalation.c.id)
            .where(t.escalation.c.audit_id == row.id)
            .order_by(t.escalation.c.raised_at, t.escalation.c.id)
        ).scalars()
        shown = tuple(_concern(deps, uow.connection, row, int(i)) for i in ids)
        for concern in shown:
            _keep_read(uow.connection, concern.id, viewer.id, ConcernReadVia.AUDIT_PAGE, deps)
        uow.commit()
    return AuditConcerns(True, shown)


def _keep_read(
    connection: Connection, escalation_id: int, person_id: int, via: ConcernReadVia, deps: Deps
) -> None:
    connection.execute(
        insert(t.concern_read),
        {
            "escalation_id": escalation_id,
            "person_id": person_id,
            "read_at": deps.clock.now(),
            "via": via,
        },
    )
    log.info("person %d read concern %d (%s)", person_id, escalation_id, via.value)


def _concern(deps: Deps, connection: Connection, row: AuditRow, escalation_id: int) -> Concern:
    e, raiser, assurer = t.escalation, aliased(t.person), aliased(t.person)
    found = connection.execute(
        select(e, t.agency.c.name.label("agency"), raiser.c.name.label("raiser"))
        .add_columns(assurer.c.name.label("assurer"), t.case.c.reference)
        .join(t.agency, t.agency.c.id == e.c.agency_id)
        .join(raiser, raiser.c.id == e.c.raised_by)
        .outerjoin(assurer, assurer.c.id == e.c.assured_by)
        .outerjoin(t.audit_return, t.audit_return.c.id == e.c.return_id)
        .outerjoin(t.case, t.case.c.id == t.audit_return.c.case_id)
        .where(e.c.id == escalation_id, e.c.audit_id == row.id)
    ).one()
    return Concern(
        escalation_id,
        found.agency,
        as_utc(found.raised_at),
        found.raiser,
        as_utc_or_none(found.assurance_due_at),
        found.concern,
        found.reference,
        _question_text(deps, connection, row, found.question_id),
        as_utc_or_none(found.assured_at),
        found.assurer,
        found.assurance,
        _agency_reads(connection, escalation_id),
    )


def _question_text(
    deps: Deps, connection: Connection, row: AuditRow, question_id: str | None
) -> str | None:
    if question_id is None or row.tool_hash is None:
        return None
    tool = deps.catalogue.tool_by_hash(row.tool_hash, AuditStore(connection).read_tool_snapshot)
    return tool.question(question_id).text


def _agency_reads(connection: Connection, escalation_id: int) -> tuple[Read, ...]:
    r = t.concern_read
    rows = connection.execute(
        select(t.person.c.name, r.c.read_at, r.c.via)
        .join(t.person, t.person.c.id == r.c.person_id)
        .where(r.c.escalation_id == escalation_id, r.c.via == ConcernReadVia.LINK)
        .order_by(r.c.read_at, r.c.id)
    )
    return tuple(Read(name, as_utc(at), ConcernReadVia(via)) for name, at, via in rows)
