"""Section 175 feedback letters, sent to each sampled setting by link: each setting reads its
own letter, and no other.

The letter is a frozen product of the signed-off summary (``notifications.publishing``). Its
e-mail carries no ratings, only a link; the link is bound to that letter, lets the setting's
audit leads read it (HTML or PDF) for some weeks, and never changes anything, so opening it
again (or a mail scanner opening it first) is harmless. A newer version of the letter, after a
refusal at sign-off, makes the old link stop working. Sending is recorded as the letter's
dissemination by e-mail, once per letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from states import notices, tokens
from states import tables as t
from states.action_plan import OWNER_ROLES
from states.clock import as_utc
from states.errors import InvalidInput, TokenInvalid, TokenRevoked
from states.services.deps import Deps
from states.services.links import letter_is_current, recording_refusals
from states.services.reports import ORGANISERS, stages_of
from states.services.work import write_to_audit
from states.store import Actor, AuditRow, AuditStore
from states.uow import UnitOfWork

LETTER = "feedback_letter"


@dataclass(frozen=True)
class LetterPage:
    audit: str
    theme: str
    setting: str
    version: int
    frozen_at: datetime
    person: str
    expires_at: datetime
    has_pdf: bool


@dataclass(frozen=True)
class LetterFile:
    html: str
    pdf: bytes | None
    name: str  # a file name without the extension: the audit and the setting's code


def send_feedback_letters(deps: Deps, *, audit: str | int, actor: str | int) -> int:
    """E-mail each sampled setting's audit leads a link to its newest letter, and record that
    it was shared by e-mail; letters already sent are not sent again. Returns how many were
    sent now."""

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> int:
        c = uow.connection
        if not stages_of(deps, AuditStore(c), row).can_publish(row.state):
            raise InvalidInput(
                f"Audit {row.reference} is '{row.state}': letters go out once it is signed off."
            )
        unsent = _unsent_letters(c, row.id)
        if not _letters(c, row.id):
            raise InvalidInput(
                f"Audit {row.reference} has no feedback letters yet; make the products first."
            )
        for report_id, agency_id, agency in unsent:
            _send_one(c, row, who, now, report_id=report_id, agency_id=agency_id, agency=agency)
        return len(unsent)

    return write_to_audit(
        deps,
        audit,
        actor,
        "send_feedback_letters",
        roles=ORGANISERS,
        work=work,
        reason="Sent the feedback letters to the sampled settings by e-mail",
    )


def _letters(c: Connection, audit_id: int) -> list[tuple[int, int, str]]:
    """(report id, agency id, agency name) of the newest frozen letter for each setting."""
    r = t.report
    found = c.execute(
        select(r.c.id, r.c.agency_id, t.agency.c.name)
        .join(t.agency, t.agency.c.id == r.c.agency_id)
        .where(r.c.audit_id == audit_id, r.c.kind == LETTER, r.c.status == "frozen")
        .order_by(t.agency.c.name, r.c.agency_id, r.c.version.desc())
    )
    newest: dict[int, tuple[int, int, str]] = {}
    for report_id, agency_id, name in found:
        newest.setdefault(int(agency_id), (int(report_id), int(agency_id), str(name)))
    return list(newest.values())


def _unsent_letters(c: Connection, audit_id: int) -> list[tuple[int, int, str]]:
    sent = set(
        c.execute(
            select(t.dissemination.c.report_id).where(
                t.dissemination.c.audit_id == audit_id, t.dissemination.c.channel == "email"
            )
        ).scalars()
    )
    return [letter for letter in _letters(c, audit_id) if letter[0] not in sent]


def _send_one(
    c: Connection,
    row: AuditRow,
    who: Actor,
    now: datetime,
    *,
    report_id: int,
    agency_id: int,
    agency: str,
) -> None:
    people = notices.recipients(c, roles=OWNER_ROLES, lead_id=row.lead_id, agency_id=agency_id)
    notices.queue(
        c,
        kind="feedback_letter_ready",
        audit_id=row.id,
        subject_id=report_id,
        recipient_ids=people,
        at=now,
        context=notices.audit_context(row.reference, row.theme, agency=agency),
        key_prefix=f"letter:{report_id}",
        link_purpose="letter",
    )
    c.execute(
        insert(t.dissemination),
        {
            "audit_id": row.id,
            "report_id": report_id,
            "audience": f"{agency}: audit leads, by link"[:200],
            "channel": "email",
            "disseminated_at": now,
            "disseminated_by": who.id,
        },
    )


# --- reading, by link -----------------------------------------------------------------------


def open_letter(deps: Deps, token: str) -> LetterPage:
    """What the letter link's page says about the letter; reading changes nothing."""
    with recording_refusals(deps, token), deps.uow(readonly=True) as uow:
        grant, row = _checked(deps, uow.connection, token)
        found = uow.connection.execute(
            select(
                t.report.c.version,
                t.report.c.frozen_at,
                t.report.c.pdf.isnot(None).label("has_pdf"),
                t.agency.c.name,
            )
            .join(t.agency, t.agency.c.id == t.report.c.agency_id)
            .where(t.report.c.id == grant.report_id)
        ).one()
        person = AuditStore(uow.connection).load_actor(grant.person_id).name
        return LetterPage(
            audit=row.reference,
            theme=row.theme,
            setting=str(found.name),
            version=int(found.version),
            frozen_at=as_utc(found.frozen_at),
            person=person,
            expires_at=grant.expires_at,
            has_pdf=bool(found.has_pdf),
        )
    raise AssertionError("unreachable: recording_refusals re-raises every refusal")


def letter_file(deps: Deps, token: str) -> LetterFile:
    """The letter itself, exactly as frozen."""
    with recording_refusals(deps, token), deps.uow(readonly=True) as uow:
        grant, row = _checked(deps, uow.connection, token)
        found = uow.connection.execute(
            select(t.report.c.html, t.report.c.pdf, t.agency.c.code)
            .join(t.agency, t.agency.c.id == t.report.c.agency_id)
            .where(t.report.c.id == grant.report_id)
        ).one()
        return LetterFile(
            html=str(found.html),
            pdf=None if found.pdf is None else bytes(found.pdf),
            name=f"{row.reference}-{found.code}-feedback-letter",
        )
    raise AssertionError("unreachable: recording_refusals re-raises every refusal")


def _checked(deps: Deps, connection: Connection, token: str) -> tuple[tokens.Grant, AuditRow]:
    grant = tokens.find(connection, token)
    if grant.purpose != "letter" or grant.report_id is None:
        raise TokenInvalid()
    row = AuditStore(connection).load_audit(grant.audit_id)
    tokens.check(grant, row, purpose="letter", now=deps.clock.now())
    if not letter_is_current(connection, row.id, grant.report_id, grant.agency_id):
        raise TokenRevoked("a newer version of this letter has been sent")
    return grant, row
