"""What a relay round asks of the database per message, on SQLite and PostgreSQL: a message's
mark and the next message's claim share one transaction, who may sign in is read once per
reader a round, and whenever a message is with the mail server its row alone is claimed and
unsent, every message before it already marked sent."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import delete, event, select

from notifications.relay import RelayResult, relay
from states.clock import FakeClock, as_utc
from states.persistence import notices
from states.persistence import tables as t
from states.services import audits
from states.services.deps import Deps
from tests.support.partnership import email
from tests.support.relay import CONFIG
from tests.support.smtp import Recorder, mailer, smtp_server

REMINDERS = 5


def queue_reminders(deps: Deps, count: int = REMINDERS) -> None:
    """``count`` reminders to the chair, who may sign in: messages with no link to mint."""
    reference = audits.start_audit(
        deps, audit_type="mace", theme="Rounds", lead=email("chair"), actor=email("coordinator")
    ).reference
    now = deps.clock.now()
    with deps.uow() as uow:
        uow.connection.execute(delete(t.outbox))
        audit_id, chair = uow.connection.execute(
            select(t.audit.c.id, t.audit.c.lead_id).where(t.audit.c.reference == reference)
        ).one()
        context = notices.audit_context(
            reference, "Rounds", deadline_at=(now + timedelta(days=7)).isoformat(), step="before:5"
        )
        for deadline in range(count):
            notices.queue(
                uow.connection,
                kind="reminder",
                audit_id=audit_id,
                subject_id=deadline,
                recipient_ids=[chair],
                at=now - timedelta(minutes=5),
                context=context,
            )
        uow.commit()


class Accepting:
    """A mail server that takes everything, at the process edge."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


def test_each_message_costs_one_write_and_a_reader_is_looked_up_once(partnership: Deps) -> None:
    deps = partnership
    queue_reminders(deps)
    begun: list[int] = []
    committed: list[int] = []

    def begin(_connection: Any) -> None:
        begun.append(1)

    def commit(_connection: Any) -> None:
        committed.append(1)

    engine = deps.uow.engine
    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", commit)
    try:
        mail = Accepting()
        assert relay(deps, mail, config=CONFIG) == RelayResult(sent=REMINDERS)
    finally:
        event.remove(engine, "begin", begin)
        event.remove(engine, "commit", commit)
    assert len(mail.sent) == REMINDERS
    # Writes: the first claim, then per message its mark with the next message's claim.
    assert len(committed) == 1 + REMINDERS
    # Reads: what is due, and whether the one reader may sign in.
    assert len(begun) == len(committed) + 2


class Watcher(Recorder):
    """Reads the outbox as each message's data arrives: the relay is waiting for the answer."""

    def __init__(self, deps: Deps, clock: FakeClock) -> None:
        super().__init__()
        self.deps, self.clock = deps, clock
        self.seen: list[tuple[int, int]] = []  # (claimed and unsent, sent) at each message

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        o = t.outbox
        with self.deps.uow(readonly=True) as uow:
            rows = uow.connection.execute(select(o.c.sent_at, o.c.next_attempt_at)).all()
        unsent = [row for row in rows if row.sent_at is None]
        claimed = [row for row in unsent if as_utc(row.next_attempt_at) > self.clock.now()]
        self.seen.append((len(claimed), len(rows) - len(unsent)))
        return await super().handle_DATA(server, session, envelope)


def test_only_the_message_with_the_server_is_claimed_and_each_is_marked_before_the_next(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    queue_reminders(deps)
    server = Watcher(deps, clock)
    with smtp_server(server) as port:
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult(sent=REMINDERS)
    # A crash at any of these moments leaves one message to resend once its claim lapses,
    # and every other message either marked sent or free for the next round.
    assert server.seen == [(1, sent) for sent in range(REMINDERS)]
