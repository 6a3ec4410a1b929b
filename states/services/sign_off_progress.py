"""Where sign-off stands, body by body, for the sign-off progress page: in the latest round,
each body the audit's rule names with its members, who has decided what and when, its
quorum and whether it is met, and what the report still waits for.

The tally is the gate's own (``states.rules.sign_off``), over the decisions the gate reads,
so the page and the way out of sign-off never disagree. A member's comment is shown only to
the audit's chair and coordinators, as on the audit page (``sign_off_views``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from states.clock import as_utc
from states.definitions.bodies import BodyKind
from states.definitions.sign_off import Refusal, SignOffDef
from states.persistence import tables as t
from states.persistence.facts import SqlAuditFacts
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditRow, AuditStore
from states.rules import sign_off as rule_of
from states.rules.policy import Permission, allows
from states.rules.sign_off import Decision, Outcome, SignOffDecision, Tally
from states.services import sign_off
from states.services.audits import compiled_for, roles_in_audit
from states.services.deps import Deps
from states.services.sign_off_links import needs


@dataclass(frozen=True)
class MemberView:
    name: str
    decision: Decision | None  # None: not decided this round
    decided_at: datetime | None
    comment: str | None  # None when there is none, or the viewer may not read it
    counts: bool  # False for the report's author, whose decision never counts


@dataclass(frozen=True)
class BodyView:
    title: str  # "the learning hub"; "those who sign off" for a rule naming roles
    names: tuple[str, ...]  # the directory's bodies of that kind
    quorum: int
    members: tuple[MemberView, ...]
    approvals: int
    refusals: int
    outcome: Outcome


@dataclass(frozen=True)
class SignOffProgress:
    reference: str
    state_title: str
    signs_off: bool
    round: int  # 1 for the first submission, 2 after the first resubmission; 0 before any
    deciding: bool  # whether the audit waits on these decisions now
    needs: str
    refusal: Refusal
    bodies: tuple[BodyView, ...]
    outcome: Outcome
    said: str  # what it still waits for, or who refused; empty once approved
    comments_shown: bool


@dataclass(frozen=True)
class _Round:
    number: int
    key: int  # the audit's version when it entered sign-off, which decisions are kept under


def progress_of(deps: Deps, *, audit: AuditKey, viewer: PersonKey) -> SignOffProgress:
    """The latest round of sign-off (the one under way, or the last one held)."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        store = AuditStore(c)
        row = store.load_audit(audit)
        compiled = compiled_for(deps, store, row)
        rule = sign_off.audit_rule(c, compiled.definition, row.id)
        shown = allows(
            roles_in_audit(deps, store, store.load_actor(viewer), row), Permission.ORGANISE
        )
        held = _latest_round(store, row, compiled.stages.signing_off)
        state_title = compiled.definition.state(row.state).title
        if rule is None:
            return SignOffProgress(
                row.reference,
                state_title,
                False,
                0,
                False,
                needs(None),
                Refusal.ANY,
                (),
                Outcome.WAITING,
                "",
                shown,
            )
        decisions = SqlAuditFacts(c, row.id).sign_off_decisions(held.key)
        tallies = rule_of.tallies(rule, decisions, author_id=row.lead_id)
        bodies = _bodies(
            c,
            rule,
            row=row,
            round_=held.key,
            decisions=decisions,
            tallies=tallies,
            comments=shown,
        )
    outcome = rule_of.outcome(tallies)
    return SignOffProgress(
        row.reference,
        state_title,
        True,
        held.number,
        row.state in compiled.stages.signing_off,
        needs(rule),
        rule.refusal,
        bodies,
        outcome,
        _said(rule, tallies, outcome),
        shown,
    )


def _latest_round(store: AuditStore, row: AuditRow, signing_off: frozenset[str]) -> _Round:
    entered = [
        e.version
        for e in store.events(row.id)
        if e.to_state in signing_off and e.from_state != e.to_state
    ]
    return _Round(len(entered), entered[-1]) if entered else _Round(0, -1)


def _said(rule: SignOffDef, tallies: tuple[Tally, ...], outcome: Outcome) -> str:
    if outcome is Outcome.REFUSED:
        return rule_of.refused_by(rule, tallies)
    return "" if outcome is Outcome.APPROVED else rule_of.waiting_on(rule, tallies)


def _bodies(
    c: Connection,
    rule: SignOffDef,
    *,
    row: AuditRow,
    round_: int,
    decisions: list[SignOffDecision],
    tallies: tuple[Tally, ...],
    comments: bool,
) -> tuple[BodyView, ...]:
    decided = _decided(c, row.id, round_, comments=comments)
    found = []
    for tally in tallies:
        kind = None if tally.body is None else tally.body.kind
        names, people = _members(c, rule, kind)
        # Those who decided for it, whoever sits on it now.
        people |= {d.person_id: d.person for d in decisions if kind is None or kind in d.bodies}
        members = tuple(
            _member(name, decided.get(pid), counts=not (rule.exclude_author and pid == row.lead_id))
            for pid, name in sorted(people.items(), key=lambda p: p[1])
        )
        quorum = rule.quorum if tally.body is None else tally.body.quorum
        assert quorum is not None  # the model's own check: a role rule has one
        found.append(
            BodyView(
                tally.title,
                names,
                quorum,
                members,
                len(tally.approvals),
                len(tally.refusals),
                tally.outcome,
            )
        )
    return tuple(found)


def _member(
    name: str, decided: tuple[Decision, datetime, str | None] | None, *, counts: bool
) -> MemberView:
    if decided is None:
        return MemberView(name, None, None, None, counts)
    return MemberView(name, decided[0], decided[1], decided[2], counts)


def _members(
    c: Connection, rule: SignOffDef, kind: BodyKind | None
) -> tuple[tuple[str, ...], dict[int, str]]:
    """The bodies of ``kind`` by name, and their members still in the directory (under a
    rule naming roles: everyone holding them)."""
    p = t.person
    if kind is None:
        rows = c.execute(
            select(p.c.id, p.c.name)
            .join(t.role, t.role.c.person_id == p.c.id)
            .where(t.role.c.role.in_(rule.roles or ()), p.c.active)
        )
        return (), {pid: name for pid, name in rows}
    b, m = t.body, t.body_member
    names = c.execute(
        select(b.c.name).where(b.c.kind == kind.value, b.c.active).order_by(b.c.name)
    ).scalars()
    rows = c.execute(
        select(p.c.id, p.c.name)
        .join(m, m.c.person_id == p.c.id)
        .join(b, b.c.id == m.c.body_id)
        .where(b.c.kind == kind.value, b.c.active, p.c.active)
    )
    return tuple(names), {pid: name for pid, name in rows}


def _decided(
    c: Connection, audit_id: int, round_: int, *, comments: bool
) -> dict[int, tuple[Decision, datetime, str | None]]:
    d = t.decision
    rows = c.execute(
        select(d.c.person_id, d.c.decision, d.c.decided_at, d.c.comment).where(
            d.c.audit_id == audit_id, d.c.round == round_
        )
    )
    return {
        pid: (Decision(decision), as_utc(at), comment if comments else None)
        for pid, decision, at, comment in rows
    }
