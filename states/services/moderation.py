"""Confirming many findings at once: moderation at the scale of a whole audit.

A MACE audit of 70 cases carries hundreds of findings, most of which moderation confirms as
they are. ``confirm_findings`` confirms a list of them, or every one the list's filters show,
in one transaction with one event (through ``write_to_audit``): one SELECT of the targets
within the person's reach and one UPDATE per thousand ids, so 350 findings cost about what
one does. A named finding outside the person's reach refuses the whole request; findings
already moderated are left as they are, so confirming never undoes a changed rating.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from states.errors import InvalidInput, NotFound, PermissionDenied
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.rules.policy import Permission
from states.services.deps import Deps
from states.services.finding_views import FindingFilter, narrowed
from states.services.findings import check_open, check_section, only_agency, pinned_tool
from states.services.work import write_to_audit

# Ids per UPDATE: far below any driver's limit on bound parameters.
CONFIRM_CHUNK = 1_000

Target = tuple[int, bool]  # (finding id, moderated already)

_TARGETS = (
    select(t.finding.c.id, t.finding.c.moderated_at.is_not(None))
    .select_from(t.finding)
    .outerjoin(t.audit_return, t.audit_return.c.id == t.finding.c.return_id)
    .outerjoin(t.agency, t.agency.c.id == t.audit_return.c.agency_id)
    .outerjoin(t.case, t.case.c.id == t.audit_return.c.case_id)
    .order_by(t.finding.c.id)
)


@dataclass(frozen=True)
class Confirmed:
    confirmed: int
    already_moderated: int  # left as they were: confirming never undoes a changed rating


def confirm_findings(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    ids: Sequence[int] = (),
    shown: FindingFilter | None = None,
) -> Confirmed:
    """Confirm the findings ``ids``, or every finding the filters ``shown`` select, all in
    one transaction: all of them, or none when one named is out of reach or unknown."""
    if bool(ids) == (shown is not None):
        raise InvalidInput("Name the findings to confirm, or confirm all those shown, not both.")

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> Confirmed:
        store = AuditStore(uow.connection)
        check_open(deps, store, row)
        only = only_agency(store, row, who)
        chosen = shown or FindingFilter()
        tool = pinned_tool(deps, store, row)
        check_section(tool, chosen)
        statement = narrowed(_TARGETS.where(t.finding.c.audit_id == row.id), tool, chosen, only)
        found = [(int(i), bool(done)) for i, done in uow.connection.execute(statement)]
        targets = _named(found, ids, only is not None, who) if ids else found
        waiting = [finding_id for finding_id, moderated in targets if not moderated]
        for start in range(0, len(waiting), CONFIRM_CHUNK):
            uow.connection.execute(
                update(t.finding)
                .where(t.finding.c.id.in_(waiting[start : start + CONFIRM_CHUNK]))
                .values(
                    moderated_rating=t.finding.c.original_rating,
                    moderated_at=now,
                    moderated_by=who.id,
                )
            )
        return Confirmed(len(waiting), len(targets) - len(waiting))

    return write_to_audit(
        deps,
        audit,
        actor,
        "confirm_findings",
        may=Permission.MODERATE_OWN_AGENCY_FINDINGS,
        work=work,
    )


def _named(found: Sequence[Target], ids: Sequence[int], own: bool, who: Actor) -> list[Target]:
    """The named findings among those within reach; one outside it refuses them all."""
    by_id = {r[0]: r for r in found}
    outside = [i for i in dict.fromkeys(ids) if i not in by_id]
    if outside and own:
        raise PermissionDenied(
            f"{who.name} moderates only their own agency's findings; "
            f"{', '.join(map(str, outside))} {'is' if len(outside) == 1 else 'are'} not theirs "
            "to confirm (or not this audit's)."
        )
    if outside:
        raise NotFound("finding", outside[0])
    return [by_id[i] for i in dict.fromkeys(ids)]
