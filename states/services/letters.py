"""Section 175's written feedback, sent to settings by link: each sampled setting reads its
own feedback letter, and every setting that took part reads the summary findings report to
all settings (framework: "individual feedback letters to each sampled setting and the
summary findings report to all settings").

Both are frozen products of the signed-off summary (``notifications.publishing``). The
e-mails carry no findings, only a link; the link is bound to the product, lets that setting's
audit leads read it (HTML or PDF) for some weeks, and never changes anything, so opening it
again (or a mail scanner opening it first) is harmless. A newer version, after a refusal at
sign-off, makes the old link stop working. Sending is recorded as each product's
dissemination by e-mail, once per product.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from states.clock import as_utc
from states.definitions.dissemination import Channel
from states.errors import InvalidInput, TokenInvalid, TokenRevoked
from states.persistence import notices, tokens
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.persistence.vocabulary import LinkPurpose, ReportStatus
from states.rules.action_plan import OWNER_ROLES
from states.rules.policy import Permission
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.freezing import stages_of
from states.services.link_rules import check_holder, recording_refusals, working_days_after
from states.services.shared_items import record_engine_sent
from states.services.work import write_to_audit

LETTER = "feedback_letter"
TO_ALL = "summary_to_all"
# What a setting may read by link: its own feedback letter, and the summary to all settings.
SETTING_PRODUCTS = (LETTER, TO_ALL)
# About six weeks: a school reads its letter when the designated safeguarding lead can.
LETTER_LINK_WORKING_DAYS = 30


@dataclass(frozen=True)
class Sent:
    """What one sending queued: letters to sampled settings, how many settings were sent the
    summary to all (0 when it had gone already), and the settings nobody could be e-mailed
    for, having no audit lead in the directory (theirs is sent when one is added)."""

    letters: int
    summary_to: int
    unreached: tuple[str, ...] = ()


@dataclass(frozen=True)
class LetterPage:
    audit: str
    theme: str
    kind: str  # feedback_letter or summary_to_all
    setting: str  # the reader's setting
    version: int
    frozen_at: datetime
    person: str
    expires_at: datetime
    has_pdf: bool


@dataclass(frozen=True)
class LetterFile:
    html: str
    pdf: bytes | None
    name: str  # a file name without the extension


def send_feedback_letters(deps: Deps, *, audit: AuditKey, actor: PersonKey) -> Sent:
    """E-mail each sampled setting's audit leads a link to its newest letter, and every
    setting's a link to the summary to all settings; record each as shared by e-mail. What
    was sent before is not sent again."""

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> Sent:
        c = uow.connection
        if not stages_of(deps, AuditStore(c), row).can_publish(row.state):
            raise InvalidInput(
                f"Audit {row.reference} is '{row.state}': letters go out once it is signed off."
            )
        letters, summary = _newest_letters(c, row.id), _newest(c, row.id, TO_ALL)
        if not letters and summary is None:
            raise InvalidInput(
                f"Audit {row.reference} has no feedback letters yet; make the products first."
            )
        sent = _already_sent(c, row.id)
        unsent = [letter for letter in letters if letter[0] not in sent]
        # Counted by the settings someone was actually e-mailed for, not the letters made.
        unreached: list[str] = []
        for report_id, agency_id, agency in unsent:
            settings = [(agency_id, agency)]
            unreached += _send(c, row, report_id, who=who, now=now, settings=settings, kind=LETTER)
        settings = _settings(c, row.id) if summary is not None and summary not in sent else []
        missed: list[str] = []
        if settings and summary is not None:
            missed = _send(c, row, summary, who=who, now=now, settings=settings, kind=TO_ALL)
            plan = compiled_for(deps, AuditStore(c), row).definition.dissemination
            record_engine_sent(c, row, plan, Channel.EMAIL_TO_SETTINGS, by=who.id, now=now)
        return Sent(
            len(unsent) - len(unreached),
            len(settings) - len(missed),
            tuple(dict.fromkeys([*unreached, *missed])),
        )

    return write_to_audit(
        deps,
        audit,
        actor,
        "send_feedback_letters",
        may=Permission.ORGANISE,
        work=work,
        reason="Sent the feedback letters and the summary to all settings by e-mail",
    )


def _newest(c: Connection, audit_id: int, kind: str) -> int | None:
    r = t.report
    found = c.execute(
        select(r.c.id)
        .where(r.c.audit_id == audit_id, r.c.kind == kind, r.c.status == ReportStatus.FROZEN)
        .order_by(r.c.version.desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def _newest_letters(c: Connection, audit_id: int) -> list[tuple[int, int, str]]:
    """(report id, agency id, agency name) of the newest frozen letter for each setting."""
    r = t.report
    found = c.execute(
        select(r.c.id, r.c.agency_id, t.agency.c.name)
        .join(t.agency, t.agency.c.id == r.c.agency_id)
        .where(r.c.audit_id == audit_id, r.c.kind == LETTER, r.c.status == ReportStatus.FROZEN)
        .order_by(t.agency.c.name, r.c.agency_id, r.c.version.desc())
    )
    newest: dict[int, tuple[int, int, str]] = {}
    for report_id, agency_id, name in found:
        newest.setdefault(int(agency_id), (int(report_id), int(agency_id), str(name)))
    return list(newest.values())


def _already_sent(c: Connection, audit_id: int) -> set[int]:
    d = t.dissemination
    return set(
        c.execute(
            select(d.c.report_id).where(d.c.audit_id == audit_id, d.c.channel == "email")
        ).scalars()
    )


def _settings(c: Connection, audit_id: int) -> list[tuple[int, str]]:
    """(agency id, name) of every setting that took part."""
    p = t.participation
    found = c.execute(
        select(t.agency.c.id, t.agency.c.name)
        .join(p, p.c.agency_id == t.agency.c.id)
        .where(p.c.audit_id == audit_id)
        .order_by(t.agency.c.name)
    )
    return [(int(i), str(name)) for i, name in found]


def _send(
    c: Connection,
    row: AuditRow,
    report_id: int,
    *,
    who: Actor,
    now: datetime,
    settings: list[tuple[int, str]],
    kind: str,
) -> list[str]:
    """Each setting's audit leads get their own link to the product; one record of sharing,
    made only when someone was e-mailed, so a setting with no lead yet is sent it later.
    Returns the settings with nobody to e-mail."""
    message = "feedback_letter_ready" if kind == LETTER else "settings_summary_ready"
    unreached: list[str] = []
    for agency_id, agency in settings:
        recipients = notices.recipients(
            c, roles=OWNER_ROLES, lead_id=row.lead_id, agency_id=agency_id
        )
        if not recipients:
            unreached.append(agency)
            continue
        notices.queue(
            c,
            kind=message,
            audit_id=row.id,
            subject_id=report_id,
            recipient_ids=recipients,
            at=now,
            context=notices.audit_context(row.reference, row.theme, agency=agency),
            key_prefix=f"letter:{report_id}:{agency_id}",
            link_purpose=LinkPurpose.LETTER,
        )
    reached = len(settings) - len(unreached)
    if not reached:
        return unreached
    audience = settings[0][1] if kind == LETTER else f"All {reached} settings"
    c.execute(
        insert(t.dissemination),
        {
            "audit_id": row.id,
            "report_id": report_id,
            "audience": f"{audience}: audit leads, by link"[:200],
            "channel": "email",
            "disseminated_at": now,
            "disseminated_by": who.id,
        },
    )
    return unreached


def letter_expiry(
    deps: Deps,
    connection: Connection,
    row: AuditRow,
    person: Actor,
    report_id: int | None,
    *,
    now: datetime,
) -> datetime | None:
    """A letter is read, not acted on, so its link lasts longer; only a setting's own leads
    get one, and only for the newest version."""
    if report_id is None or not person.roles & OWNER_ROLES:
        return None
    if not letter_is_current(connection, row.id, report_id, person.agency_id):
        return None
    return working_days_after(deps, now, LETTER_LINK_WORKING_DAYS)


def letter_is_current(
    connection: Connection, audit_id: int, report_id: int, agency_id: int | None
) -> bool:
    """Whether ``report_id`` is the newest frozen product of its kind that the agency may
    read: its own letter, or the summary to all settings of an audit it took part in. A later
    version (after a refusal at sign-off) supersedes it."""
    r = t.report
    found = connection.execute(
        select(r.c.kind, r.c.agency_id).where(
            r.c.id == report_id, r.c.audit_id == audit_id, r.c.status == ReportStatus.FROZEN
        )
    ).first()
    if found is None or found.kind not in SETTING_PRODUCTS or agency_id is None:
        return False
    if found.kind == LETTER and found.agency_id != agency_id:
        return False
    if found.kind == TO_ALL and not _takes_part(connection, audit_id, agency_id):
        return False
    newest = connection.execute(
        select(r.c.id)
        .where(
            r.c.audit_id == audit_id,
            r.c.kind == found.kind,
            r.c.agency_key == (found.agency_id or 0),
            r.c.status == ReportStatus.FROZEN,
        )
        .order_by(r.c.version.desc())
        .limit(1)
    ).scalar_one()
    return int(newest) == report_id


def _takes_part(connection: Connection, audit_id: int, agency_id: int) -> bool:
    return (
        connection.execute(
            select(t.participation.c.id).where(
                t.participation.c.audit_id == audit_id,
                t.participation.c.agency_id == agency_id,
            )
        ).first()
        is not None
    )


# --- reading, by link -----------------------------------------------------------------------


def open_letter(deps: Deps, token: str) -> LetterPage:
    """What the link's page says about the letter; reading changes nothing."""
    with recording_refusals(deps, token), deps.uow(readonly=True) as uow:
        grant, row = _checked(deps, uow.connection, token)
        found = uow.connection.execute(
            select(
                t.report.c.kind,
                t.report.c.version,
                t.report.c.frozen_at,
                t.report.c.pdf.isnot(None).label("has_pdf"),
            ).where(t.report.c.id == grant.report_id)
        ).one()
        store = AuditStore(uow.connection)
        return LetterPage(
            audit=row.reference,
            theme=row.theme,
            kind=str(found.kind),
            setting=notices.agency_name(uow.connection, _reader_agency(grant)),
            version=int(found.version),
            frozen_at=as_utc(found.frozen_at),
            person=store.load_actor(grant.person_id).name,
            expires_at=grant.expires_at,
            has_pdf=bool(found.has_pdf),
        )
    raise AssertionError("unreachable: recording_refusals re-raises every refusal")


def letter_file(deps: Deps, token: str) -> LetterFile:
    """The letter itself, exactly as frozen."""
    with recording_refusals(deps, token), deps.uow(readonly=True) as uow:
        grant, row = _checked(deps, uow.connection, token)
        found = uow.connection.execute(
            select(t.report.c.kind, t.report.c.html, t.report.c.pdf, t.agency.c.code)
            .outerjoin(t.agency, t.agency.c.id == t.report.c.agency_id)
            .where(t.report.c.id == grant.report_id)
        ).one()
        name = (
            f"{row.reference}-{found.code}-feedback-letter"
            if found.kind == LETTER
            else f"{row.reference}-summary-to-all-settings"
        )
        return LetterFile(
            html=str(found.html),
            pdf=None if found.pdf is None else bytes(found.pdf),
            name=name,
        )
    raise AssertionError("unreachable: recording_refusals re-raises every refusal")


def _reader_agency(grant: tokens.Grant) -> int:
    assert grant.agency_id is not None  # minted only for a setting's own leads
    return grant.agency_id


def _checked(deps: Deps, connection: Connection, token: str) -> tuple[tokens.Grant, AuditRow]:
    grant = tokens.find(connection, token)
    if grant.purpose != LinkPurpose.LETTER or grant.report_id is None:
        raise TokenInvalid()
    row = AuditStore(connection).load_audit(grant.audit_id)
    tokens.check(grant, row, purpose=LinkPurpose.LETTER, now=deps.clock.now())
    check_holder(deps, connection, grant, row)
    if not letter_is_current(connection, row.id, grant.report_id, grant.agency_id):
        raise TokenRevoked("a newer version of this letter has been sent")
    return grant, row
