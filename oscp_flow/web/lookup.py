"""Small reads the link pages need beyond ``states.services.links.LinkPage``.

Each runs in a read-only unit of work and returns only references and dates, never free text
(the concern an escalation was raised about stays in its record).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from states.clock import as_utc
from states.persistence import tables as t
from states.persistence import tokens
from states.services.deps import Deps


def grant(deps: Deps, token: str) -> tokens.Grant:
    """What the link allows, or TokenInvalid. Reading it records nothing: a forged link
    opened a thousand times must not write a thousand rows."""
    with deps.uow(readonly=True) as uow:
        return tokens.find(uow.connection, token)


def agency_name(deps: Deps, code: str | None) -> str | None:
    if code is None:
        return None
    with deps.uow(readonly=True) as uow:
        name = uow.connection.execute(
            select(t.agency.c.name).where(t.agency.c.code == code)
        ).scalar_one_or_none()
    return None if name is None else str(name)


def concern_raised_at(deps: Deps, escalation_id: int | None) -> datetime | None:
    if escalation_id is None:
        return None
    with deps.uow(readonly=True) as uow:
        raised = uow.connection.execute(
            select(t.escalation.c.raised_at).where(t.escalation.c.id == escalation_id)
        ).scalar_one_or_none()
    return None if raised is None else as_utc(raised)
