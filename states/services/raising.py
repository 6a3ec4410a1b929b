"""Who may start an audit, and for which agencies.

A coordinator starts any audit. An agency lead raises a single-agency exception report (a type
declaring ``raised_by_agency``) with the learning hub, for their own agency only (framework
s.5: "OSCP requires partner agencies to report to the partnership by exception ... This should
be raised with the OSCP learning hub for progression"). The lead they name chairs its triage
for the learning hub, so it is a learning hub member or coordinator and never the person
raising it: an agency does not triage, or close at triage, its own exception.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from states.definitions.model import AuditTypeDefinition
from states.errors import InvalidInput, PermissionDenied
from states.persistence import tables as t
from states.persistence.store import Actor
from states.rules.policy import Permission, allows


def agencies_for(
    c: Connection, definition: AuditTypeDefinition, starter: Actor, agencies: Sequence[str]
) -> list[str]:
    """The agencies the new audit invites, once ``starter`` may start it; for an exception an
    agency lead raises, their own agency (naming another is refused)."""
    if allows(starter.roles, Permission.COORDINATE):
        return list(agencies)
    may_raise = allows(starter.roles, Permission.RAISE_EXCEPTION)
    if not (definition.raised_by_agency and may_raise):
        # An agency lead is told what they may start instead.
        instead = "; an agency lead raises only exception reports" if may_raise else ""
        raise PermissionDenied(
            f"Only a coordinator can start an audit, and {starter.name} is not one{instead}."
        )
    own = _code(c, starter.agency_id)
    if own is None:
        raise PermissionDenied(
            f"{starter.name} is in no agency, so cannot raise an exception report for one."
        )
    others = [code for code in agencies if code != own]
    if others:
        raise PermissionDenied(
            f"An agency lead raises an exception report for their own agency only: "
            f"{starter.name} is a lead for '{own}', not for '{others[0]}'."
        )
    return [own]


def check_lead(starter: Actor, lead: Actor) -> None:
    """For an exception an agency lead raises: the lead is the learning hub's, not theirs."""
    if allows(starter.roles, Permission.COORDINATE):
        return
    if lead.id == starter.id or not allows(lead.roles, Permission.LEAD_RAISED_EXCEPTION):
        raise InvalidInput(
            f"{lead.name} cannot lead this exception report: its lead chairs the learning "
            "hub's triage, so name a learning hub member or coordinator (not the agency "
            "raising it) as its lead."
        )


def _code(c: Connection, agency_id: int | None) -> str | None:
    if agency_id is None:
        return None
    found = c.execute(select(t.agency.c.code).where(t.agency.c.id == agency_id)).scalar_one()
    return str(found)
