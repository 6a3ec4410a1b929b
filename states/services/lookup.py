"""Small reads the entry points need beyond the services' own views: what a link allows, an
agency's name, and the round of returns a spreadsheet is for.

Each runs in a read-only unit of work and returns only references, names of bodies and
dates, never free text (a concern's words are read only through
``states.services.concern_reads``, which keeps every read).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from states.definitions.tool import ToolDefinition
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.store import AuditStore
from states.services import returns
from states.services.audits import compiled_for
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
        return _agency_name(uow.connection, code)


@dataclass(frozen=True)
class ReturnRound:
    """What a return's spreadsheet follows: the audit's tool and the phase its questions
    belong to, whether returns are open now, and the names its title shows."""

    tool: ToolDefinition
    phase: str | None
    returns_open: bool
    reference: str
    state: str
    agency_name: str


def return_round(deps: Deps, *, audit: str | int, agency: str) -> ReturnRound:
    """The round of ``audit``'s returns as it stands; the agency's code stands for its name
    when no agency has that code."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        compiled = compiled_for(deps, store, row)
        return ReturnRound(
            returns.tool_for(deps, store, row),
            compiled.definition.state(row.state).phase,
            compiled.stages.collects_returns(row.state),
            row.reference,
            row.state,
            _agency_name(uow.connection, agency) or agency,
        )


def _agency_name(connection: Connection, code: str) -> str | None:
    name = connection.execute(
        select(t.agency.c.name).where(t.agency.c.code == code)
    ).scalar_one_or_none()
    return None if name is None else str(name)
