"""The outbox as the relay tests see it: one immediate-risk concern queues two messages, and
what the relay should send is read back from the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, select

from notifications.relay import message_id
from states.persistence import tables as t
from states.services import audits, work
from states.services.deps import Deps
from tests.notifications.relay_once import Config
from tests.support.partnership import email

CONFIG = Config()


def raise_concern(deps: Deps, theme: str = "Relay") -> str:
    """A started audit with one immediate-risk concern: the chair and the police's strategic
    lead are told at once, so two messages are queued (the chair's notice of the start is
    taken out of the outbox first: these tests are about the concern's two)."""
    reference = audits.start_audit(
        deps, audit_type="mace", theme=theme, lead=email("chair"), actor=email("coordinator")
    ).reference
    with deps.uow() as uow:
        uow.connection.execute(delete(t.outbox).where(t.outbox.c.kind == "audit_started"))
        uow.commit()
    work.raise_immediate_risk(
        deps, audit=reference, actor=email("chair"), agency="police", concern="Unsafe practice"
    )
    return reference


def outbox(deps: Deps) -> Sequence[Row[Any]]:
    with deps.uow(readonly=True) as uow:
        return uow.connection.execute(select(t.outbox).order_by(t.outbox.c.id)).all()


def expected_ids(deps: Deps) -> set[str]:
    return {message_id(row.id, row.key, CONFIG.mail_domain) for row in outbox(deps)}
