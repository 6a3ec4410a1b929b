"""The outbox relay: sends what transitions queued, over SMTP, exactly once in practice.

Each message is claimed, sent, then marked sent, in short transactions (a message's mark and
the claim of the one after it share one), so no transaction is ever open while the mail server
is being talked to, and only the message with the server is ever claimed and unsent. A crash
between the server's "250 OK" and the mark leaves the row unsent: once its claim lapses it is
sent again, carrying the same Message-ID (derived from the row), which lets mail clients drop
the copy. So a crash costs at most one duplicate and never loses a message.

A database that fails while a message is built (its link is minted then, a write) is an
outage like a mail server's: a lost connection defers the message with backoff and it goes
later, once; a read-only file or a full disk stops the round, with the message untouched,
until a person has mended it. Only a real rendering fault (a template error) fails a message
at once. Each database cause is logged once until it changes or clears, never per message.

Nothing here logs an address or a message's text: rows are named by id and kind, failures by
class and SMTP code.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from hashlib import sha256
from typing import Any, Literal, Protocol
from weakref import WeakKeyDictionary

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Engine,
    Row,
    and_,
    bindparam,
    select,
    update,
)

from notifications.calendars import calendar_for
from notifications.compose import Envelope, compose
from notifications.ical import CalendarPart
from notifications.render import render_message
from notifications.smtp import DeliveryDeferred, DeliveryError, DeliveryRefused, Mailer, sending
from states.clock import as_utc
from states.errors import AuditEngineError, InvalidInput, NotFound, StoreUnavailable
from states.persistence import tables as t
from states.persistence.db import OncePerCause
from states.persistence.vocabulary import LinkPurpose
from states.services import minting
from states.services.deps import Deps

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
# How far below the exponential delay a row's jitter may pull it, so rows deferred together
# (say, by one outage) come back spread out rather than all in the same second.
JITTER = 0.2
# A claimed row is left alone by other relays for this long: far longer than one SMTP
# exchange (timeouts are seconds), so only a crashed relay's rows are ever taken over.
CLAIM = timedelta(minutes=10)
DEFAULT_SENDER = "OSCP Learning Hub"
# Completes "this e-mail has no link because ...".
NOT_MADE = "the link could not be made"

Outcome = Literal["sent", "deferred", "failed", "skipped"]
# What to write on a message's row, by column.
Mark = dict[str, Any]
o = t.outbox
# The database causes said, per database, so the log says each once (see ``OncePerCause``).
_said: WeakKeyDictionary[Engine, OncePerCause] = WeakKeyDictionary()


class RelayConfig(Protocol):
    """What the relay needs from settings (``oscp_flow.settings.Settings`` has it)."""

    @property
    def mail_from(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def mail_domain(self) -> str: ...


@dataclass(frozen=True)
class RelayResult:
    sent: int = 0
    deferred: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Pending:
    id: int
    key: str
    kind: str
    context: str
    attempts: int
    # Out of the repr, so a row printed by accident (a debugger, a future log line) names
    # nobody.
    name: str = field(repr=False)
    email: str = field(repr=False)
    # None for a message about the reader's own account (failed sign-ins), not an audit.
    audit_id: int | None = None
    recipient_id: int = 0
    subject_id: int | None = None
    link_purpose: str | None = None


def relay(deps: Deps, mailer: Mailer, *, config: RelayConfig, batch: int = 100) -> RelayResult:
    """One round: send up to ``batch`` due messages, longest-waiting first.

    A database that cannot be used ends the round with its ``StoreUnavailable`` (said once
    in the log until it clears); a connection lost while a message was built only defers
    that message."""
    said = _said_for(deps)
    try:
        return _round(deps, mailer, config, batch)
    except StoreUnavailable as trouble:
        if said.first(trouble.cause):
            logger.error("Outbox relay stopped: %s", trouble)
        raise
    finally:
        if said.settle() is not None:
            logger.warning("Outbox relay: the database can be used again.")


def _said_for(deps: Deps) -> OncePerCause:
    return _said.setdefault(deps.uow.engine, OncePerCause())


def _round(deps: Deps, mailer: Mailer, config: RelayConfig, batch: int) -> RelayResult:
    rows = _due(deps, batch)
    tally: Counter[Outcome] = Counter()
    # Who may open an audit's own page, asked once per person a round rather than per message.
    refusals: dict[int, str | None] = {}
    # The round's messages share the mailer's connections (a handshake, TLS and login per
    # hundred messages, not per message), and none is left open once the round is over.
    with sending(mailer) as sender:
        claimed = bool(rows) and _claim(deps, rows[0].id)
        for position, row in enumerate(rows):
            following = rows[position + 1].id if position + 1 < len(rows) else None
            if not claimed:  # another relay has it
                tally["skipped"] += 1
                claimed = following is not None and _claim(deps, following)
                continue
            outcome, mark, down = _deliver(deps, sender, config, row, refusals)
            tally[outcome] += 1
            if down is not None:
                # No other message would get through either: a dead server costs one timeout
                # per round, not one per message.
                _record(deps, row.id, mark)
                tally.update(_defer_all(deps, rows[position + 1 :], down))
                break
            claimed = _record(deps, row.id, mark, claim=following)
    result = RelayResult(tally["sent"], tally["deferred"], tally["failed"])
    # A quiet round every minute is not news; a round that did something is.
    logger.log(
        logging.INFO if rows else logging.DEBUG,
        "Outbox relay round: %d sent, %d deferred, %d failed",
        result.sent,
        result.deferred,
        result.failed,
    )
    return result


def _deliver(
    deps: Deps, mailer: Mailer, config: RelayConfig, row: Pending, refusals: dict[int, str | None]
) -> tuple[Outcome, Mark, DeliveryDeferred | None]:
    """Build and send one claimed message: its outcome, what to write on its row, and the
    failure that says the server is down, if it is."""
    try:
        link_path, no_link = _action_link(deps, row, refusals)
        # Read at sending, like the link: an entry moved since the row was queued goes out
        # as it is now.
        calendar = calendar_for(deps, row, config, deps.clock.now())
    except AuditEngineError as outage:  # the store, or a clash: never the message's fault
        return "deferred", _postpone(deps, row, outage), None
    try:
        message = build_message(
            row,
            config,
            deps.clock.now(),
            link_path=link_path,
            no_link=no_link,
            calendar=calendar,
        )
    except Exception as exc:  # a template bug must not stop the round; it shows as failed
        logger.warning("Outbox message %d (%s) could not be rendered", row.id, row.kind)
        return "failed", {**_failure(deps.clock.now()), "last_error": _render_error(exc)}, None
    failure = _send(mailer, message)
    if isinstance(failure, DeliveryRefused):
        return "failed", _refusal(deps, row, failure), None
    if isinstance(failure, DeliveryDeferred):
        outcome, mark = _deferred(deps, row, failure)
        return outcome, mark, (failure if failure.server_down else None)
    logger.debug("Outbox message %d (%s) sent", row.id, row.kind)
    return "sent", {"sent_at": deps.clock.now(), "last_error": None}, None


def _send(mailer: Mailer, message: EmailMessage) -> DeliveryError | None:
    try:
        mailer.send(message)
    except DeliveryError as failure:
        return failure
    except Exception as exc:
        # A mailer's bug must not stop the round, nor leave the row to crash every round:
        # it is retried like any transient failure and, after enough attempts, shown failed.
        return DeliveryDeferred(cause=type(exc).__name__)
    return None


def _render_error(exc: Exception) -> str:
    return f"RenderError: {type(exc).__name__}"


def _postpone(deps: Deps, row: Pending, outage: AuditEngineError) -> Mark:
    """The message could not be built because the database failed under its link. Waiting
    may mend a lost connection: the message is deferred with backoff, its attempt counted
    but never its last (an outage is nobody's reason to give up on a message). A read-only
    file or a full disk needs a person: the message is put back as it was, and the round
    stops with the cause."""
    now = deps.clock.now()
    if not outage.retryable:
        with suppress(StoreUnavailable):  # if nothing can be written, the claim lapses
            _record(deps, row.id, {"next_attempt_at": now})
        raise outage
    cause = getattr(outage, "cause", type(outage).__name__)
    if _said_for(deps).first(cause):
        logger.warning(
            "Outbox relay: messages could not be built just now (%s); they are deferred and "
            "tried again with backoff.",
            cause,
        )
    logger.debug("Outbox message %d (%s) deferred: %s", row.id, row.kind, cause)
    return _deferral(row, f"{type(outage).__name__}: {cause}", now, give_up=False)


def message_id(outbox_id: int, key: str, domain: str) -> str:
    """The same row always gives the same id, so a resend after a crash is recognisably the
    same message. The key's hash is there because row ids alone come round again (a database
    made afresh starts at 1), and a reader's mail client would drop a new message as a copy."""
    return f"<oscp.{outbox_id}.{sha256(key.encode()).hexdigest()[:16]}@{domain}>"


def _action_link(
    deps: Deps, row: Pending, refusals: dict[int, str | None]
) -> tuple[str | None, str | None]:
    """Mint the recipient's own single-use link now, at sending: the token goes into this
    message and nowhere else (the database keeps only its hash). A resend after a crash mints
    another; each is bound to the same person and action, and the action happens once.

    Returns (the link's path, None), or (None, why there is none) when a link was meant but
    could not be made (the reader was removed, no longer holds the role, nothing is left to
    do, or the audit or person is gone): the message then says so instead of pointing at a
    page the reader cannot open. A message with no link of its own points at the audit's
    page, which only those who sign in can open: (None, None) for them, and for anyone else
    (None, why not). A message about no audit keeps its own link: (None, None). Who may
    sign in is asked once per reader a round (``refusals``), not once per message.
    """
    if row.audit_id is None:
        return None, None
    if row.link_purpose is None:
        if row.recipient_id not in refusals:
            refusals[row.recipient_id] = minting.audit_page_refusal(deps, row.recipient_id)
        return None, refusals[row.recipient_id]
    purpose = LinkPurpose(row.link_purpose)
    try:
        minted = minting.mint_link(
            deps,
            purpose=purpose,
            audit_id=row.audit_id,
            person_id=row.recipient_id,
            escalation_id=row.subject_id if purpose == LinkPurpose.ASSURANCE else None,
            action_id=row.subject_id if purpose == LinkPurpose.ACTION else None,
            report_id=row.subject_id if purpose == LinkPurpose.LETTER else None,
        )
    except StoreUnavailable:  # the database failed: try later, never send it linkless
        raise
    except AuditEngineError as refused:
        if refused.retryable:  # another writer got there first: the same, later
            raise
        return None, NOT_MADE
    if minted.token is None:
        return None, minted.why_not or NOT_MADE
    return f"/act/{minted.token}", None


def build_message(
    row: Pending,
    config: RelayConfig,
    at: datetime,
    *,
    link_path: str | None = None,
    no_link: str | None = None,
    calendar: CalendarPart | None = None,
) -> EmailMessage:
    sender, _address = parseaddr(config.mail_from)
    context = {str(k): str(v) for k, v in json.loads(row.context).items()}
    if link_path is not None:
        context["link_path"] = link_path
    rendered = render_message(
        row.kind,
        context,
        recipient_name=row.name,
        base_url=config.base_url,
        sender_name=sender or DEFAULT_SENDER,
        no_link=no_link,
    )
    envelope = Envelope(
        sender=config.mail_from,
        name=row.name,
        address=row.email,
        date=at,
        message_id=message_id(row.id, row.key, config.mail_domain),
    )
    return compose(
        envelope,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        calendar=calendar,
    )


def backoff(outbox_id: int, attempts: int) -> timedelta:
    """1, 2, 4 ... minutes after each failed attempt, at most an hour, less a fraction of up
    to ``JITTER`` that is fixed per row (so a test, or a person, can predict it)."""
    base = min(FIRST_DELAY * (1 << min(attempts - 1, 16)), MAX_DELAY)
    spread = int.from_bytes(sha256(f"outbox:{outbox_id}".encode()).digest()[:2]) / 65536
    return base * (1 - JITTER * spread)


def _due(deps: Deps, batch: int) -> list[Pending]:
    query = (
        select(o.c.id, o.c.key, o.c.kind, o.c.context, o.c.attempts, t.person.c.name)
        .add_columns(
            t.person.c.email, o.c.audit_id, o.c.recipient_id, o.c.subject_id, o.c.link_purpose
        )
        .join(t.person, t.person.c.id == o.c.recipient_id)
        .where(_waiting(deps.clock.now()))
        .order_by(o.c.next_attempt_at, o.c.id)
        .limit(batch)
    )
    with deps.uow(readonly=True) as uow:
        return [Pending(*row) for row in uow.connection.execute(query)]


def _waiting(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """Due and neither sent, failed nor claimed: the ``ix_outbox_pending`` index finds these."""
    return and_(o.c.sent_at.is_(None), o.c.next_attempt_at <= now, o.c.failed_at.is_(None))


# The statements run for every message, built once: SQLAlchemy caches their compiled form, but
# building a statement and its cache key anew for each message cost as much as running it.
# A claim is a compare-and-set on the row, so two relays running at once never both send it.
_CLAIM = (
    update(o)
    .where(o.c.id == bindparam("row"), _waiting(bindparam("now")))
    .values(next_attempt_at=bindparam("until"))
)
# What is written comes as the parameters, named by column (SET follows their names).
_MARK = update(o).where(o.c.id == bindparam("row"))


def _claim(deps: Deps, outbox_id: int) -> bool:
    with deps.uow() as uow:
        claimed = _claimed(uow.connection, outbox_id, deps.clock.now())
        uow.commit()
    return claimed


def _claimed(connection: Connection, outbox_id: int, now: datetime) -> bool:
    claim = {"row": outbox_id, "now": now, "until": now + CLAIM}
    return connection.execute(_CLAIM, claim).rowcount == 1


def _record(deps: Deps, outbox_id: int, mark: Mark, *, claim: int | None = None) -> bool:
    """Write a message's outcome, at once; with ``claim``, also claim the round's next message
    in the same transaction (whether it was claimed is returned). The outcome is committed
    before the next message is built, so one transaction a message does what two did, with
    the same guarantees: a row is claimed before it is sent and marked as soon as it is."""
    with deps.uow() as uow:
        uow.connection.execute(_MARK, {"row": outbox_id, **mark})
        claimed = claim is not None and _claimed(uow.connection, claim, deps.clock.now())
        uow.commit()
    return claimed


def _refusal(deps: Deps, row: Pending, error: DeliveryRefused) -> Mark:
    logger.warning("Outbox message %d (%s) refused: %s", row.id, row.kind, error.summary)
    failure = _failure(deps.clock.now())
    return {"attempts": row.attempts + 1, **failure, "last_error": error.summary}


def _deferred(deps: Deps, row: Pending, error: DeliveryError) -> tuple[Outcome, Mark]:
    mark = _deferral(row, error.summary, deps.clock.now())
    outcome: Outcome = "failed" if "failed_at" in mark else "deferred"
    logger.warning("Outbox message %d (%s) %s: %s", row.id, row.kind, outcome, error.summary)
    return outcome, mark


def _deferral(row: Pending, why: str, now: datetime, *, give_up: bool = True) -> Mark:
    attempts = row.attempts + 1
    values: Mark = {"attempts": attempts, "last_error": why}
    if give_up and attempts >= MAX_ATTEMPTS:
        values.update(_failure(now))
    else:
        values["next_attempt_at"] = now + backoff(row.id, attempts)
    return values


def _failure(now: datetime) -> Mark:
    """Failed rows leave the pending index's range (a NULL is never ``<= now``), so years of
    failures never slow the search for what is due; ``retry`` puts them back."""
    return {"failed_at": now, "next_attempt_at": None}


def _defer_all(deps: Deps, rows: Sequence[Pending], error: DeliveryError) -> Counter[Outcome]:
    """Defer rows this round did not reach; one transaction, and only rows still waiting
    (another relay may have sent some meanwhile)."""
    now = deps.clock.now()
    tally: Counter[Outcome] = Counter()
    with deps.uow() as uow:
        for row in rows:
            values = _deferral(row, error.summary, now)
            changed = uow.connection.execute(
                update(o).where(o.c.id == row.id, _waiting(now)).values(**values)
            ).rowcount
            if changed:
                tally["failed" if "failed_at" in values else "deferred"] += 1
        uow.commit()
    return tally


@dataclass(frozen=True)
class OutboxView:
    """One message as the coordinator sees it: who, what kind, how it is going; no text."""

    id: int
    kind: str
    recipient: str
    audit: str | None  # None: about the recipient's own account, not an audit
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    failed_at: datetime | None


def outbox_messages(deps: Deps, *, failed: bool = False, limit: int = 500) -> list[OutboxView]:
    """Messages still waiting (or, with ``failed``, given up on), oldest first."""
    state = o.c.failed_at.is_not(None) if failed else o.c.failed_at.is_(None)
    query = (
        select(o.c.id, o.c.kind, t.person.c.email, t.audit.c.reference, o.c.attempts)
        .add_columns(o.c.last_error, o.c.created_at, o.c.next_attempt_at, o.c.failed_at)
        .join(t.person, t.person.c.id == o.c.recipient_id)
        .outerjoin(t.audit, t.audit.c.id == o.c.audit_id)
        .where(o.c.sent_at.is_(None), state)
        .order_by(o.c.created_at, o.c.id)
        .limit(limit)
    )
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(query).all()
    return [_view(row) for row in rows]


def _view(row: Row[Any]) -> OutboxView:
    def when(value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)

    return OutboxView(
        id=row.id,
        kind=row.kind,
        recipient=row.email,
        audit=row.reference,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=as_utc(row.created_at),
        next_attempt_at=when(row.next_attempt_at),
        failed_at=when(row.failed_at),
    )


def retry(deps: Deps, *, outbox_id: int) -> None:
    """Send a failed (or waiting) message at the next round, with a fresh set of attempts.
    The last error stays on the row until it is sent, so the history remains visible."""
    with deps.uow() as uow:
        sent_at = uow.connection.execute(
            select(o.c.sent_at).where(o.c.id == outbox_id)
        ).one_or_none()
        if sent_at is None:
            raise NotFound("outbox message", outbox_id)
        if sent_at[0] is not None:
            raise InvalidInput(f"Outbox message {outbox_id} was already sent; nothing to retry.")
        uow.connection.execute(
            update(o)
            .where(o.c.id == outbox_id)
            .values(failed_at=None, attempts=0, next_attempt_at=deps.clock.now())
        )
        uow.commit()
