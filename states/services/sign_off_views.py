"""Each sign-off decision as the audit page and ``oscp audit show`` list it: who, for which
body, approve or refuse, when, and (to the chair and coordinators only) the comment.

A refusal's comment says what further assurance is needed; it is free text, so it is shown
only to those who run the audit and must answer it, never put in an e-mail or the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from states.clock import as_utc
from states.definitions.sign_off import SignOffDef
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditStore
from states.rules.policy import Permission, allows
from states.rules.sign_off import Decision
from states.services import sign_off
from states.services.audits import compiled_for, roles_in_audit
from states.services.deps import Deps
from states.services.sign_off_links import needs


@dataclass(frozen=True)
class DecisionView:
    round: int  # 1 for the first submission, 2 after the first resubmission, ...
    person: str
    bodies: tuple[str, ...]  # the bodies it counted for, by name (none under a role rule)
    decision: Decision
    decided_at: datetime
    comment: str | None  # None when there is none, or the viewer may not read it


@dataclass(frozen=True)
class SignOffView:
    signs_off: bool  # whether the audit's type is signed off at all
    needs: str  # "one member of the learning hub and two members of the statutory partners"
    decisions: tuple[DecisionView, ...]  # oldest first
    comments_shown: bool


def sign_off_of(deps: Deps, *, audit: AuditKey, viewer: PersonKey) -> SignOffView:
    """The audit's decisions, round by round; comments only for its chair and coordinators."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        who = store.load_actor(viewer)
        definition = compiled_for(deps, store, row).definition
        rule = sign_off.audit_rule(uow.connection, definition, row.id)
        shown = allows(roles_in_audit(deps, store, who, row), Permission.ORGANISE)
        decisions = _decisions(uow.connection, row.id, comments=shown)
    return SignOffView(rule is not None, needs(rule), decisions, shown)


def _decisions(c: Connection, audit_id: int, *, comments: bool) -> tuple[DecisionView, ...]:
    d = t.decision
    rows = c.execute(
        select(d.c.id, d.c.round, t.person.c.name, d.c.decision, d.c.decided_at, d.c.comment)
        .join(t.person, t.person.c.id == d.c.person_id)
        .where(d.c.audit_id == audit_id)
        .order_by(d.c.round, d.c.decided_at, d.c.id)
    ).all()
    bodies = _bodies(c, [r[0] for r in rows])
    rounds = {r: n for n, r in enumerate(sorted({r[1] for r in rows}), start=1)}
    return tuple(
        DecisionView(
            rounds[round_],
            name,
            bodies.get(decision_id, ()),
            Decision(decision),
            as_utc(at),
            comment if comments else None,
        )
        for decision_id, round_, name, decision, at, comment in rows
    )


def _bodies(c: Connection, decision_ids: list[int]) -> dict[int, tuple[str, ...]]:
    if not decision_ids:
        return {}
    statement = (
        select(t.decision_body.c.decision_id, t.body.c.name)
        .join(t.body, t.body.c.id == t.decision_body.c.body_id)
        .where(t.decision_body.c.decision_id.in_(decision_ids))
        .order_by(t.body.c.name)
    )
    found: dict[int, list[str]] = {}
    for decision_id, name in c.execute(statement):
        found.setdefault(decision_id, []).append(name)
    return {k: tuple(v) for k, v in found.items()}


def rule_of(deps: Deps, *, audit: AuditKey) -> SignOffDef | None:
    """The rule the audit is signed off by (its type's, or its programme entry's bodies)."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        definition = compiled_for(deps, store, row).definition
        return sign_off.audit_rule(uow.connection, definition, row.id)
