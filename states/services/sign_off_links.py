"""What a member's decision by e-mailed link does next, and what a finished link's page says.

A decision that completes the round moves the audit the way its outcome says (the signing-off
state's approval when every body has approved, its refusal when one has refused), recorded as
"Approved by NAME for BODY". A link that can no longer be used (its holder decided, by it or by
another of their links, or the round ended without them) tells its holder what happened, in
dates and names of bodies only: never a comment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, select

from states.clock import as_utc
from states.definitions.bodies import TITLES
from states.definitions.sign_off import SignOffDef
from states.errors import TokenError
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.facts import SqlAuditFacts
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.persistence.vocabulary import LinkPurpose
from states.rules.gates import SignOffDecision
from states.rules.sign_off import Decision
from states.rules.stages import Stages
from states.services import sign_off
from states.services.audits import compiled_for, fire_loaded, gate_context, tool_is_per_case
from states.services.deps import Deps
from states.services.link_rules import check_holder

NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def advance_after_decision(
    deps: Deps, uow: UnitOfWork, row: AuditRow, who: Actor, *, decision: Decision, said: str
) -> str:
    """Move the audit if the decision finished the round, else record the decision alone;
    returns the audit's state afterwards."""
    store = AuditStore(uow.connection)
    compiled = compiled_for(deps, store, row)
    stages = compiled.stages
    at = deps.clock.now()
    per_case = tool_is_per_case(deps, store, row)
    decided = _DecisionsOnce(uow.connection, row.id, round_=row.state_round, per_case=per_case)
    # The signing-off state's own ways out, whatever the type names them: whichever one's
    # gates now pass (the outcome decides, so a refusal outvoted by a majority moves nothing).
    for trigger in (stages.approvals.get(row.state), stages.refusals.get(row.state)):
        if trigger is None:
            continue
        context = gate_context(
            compiled, store, row, who, trigger=trigger, reason=said, per_case=per_case
        )
        if not compiled.gate_failures(replace(context, facts=decided)):
            fired = fire_loaded(deps, store, row, who, trigger=trigger, reason=said, now=at)
            return fired.to_state
    reason = deps.recorded_reason(said)
    store.touch(row, trigger=f"record_{decision}", actor_id=who.id, reason=reason, at=at)
    return row.state


class _DecisionsOnce(SqlAuditFacts):
    """The audit's facts, with each round's decisions read once: both ways out of sign-off
    tally the same decisions, the one just recorded among them."""

    def __init__(
        self,
        connection: Connection,
        audit_id: int,
        *,
        round_: int,
        per_case: Callable[[], bool],
    ) -> None:
        super().__init__(connection, audit_id, round_=round_, per_case=per_case)
        self._decisions: dict[int, list[SignOffDecision]] = {}

    def sign_off_decisions(self, round_: int) -> list[SignOffDecision]:
        if round_ not in self._decisions:
            self._decisions[round_] = super().sign_off_decisions(round_)
        return self._decisions[round_]


def needs(rule: SignOffDef | None) -> str:
    """Who must approve, as the sign-off page says it: "one member of the learning hub and
    two members of the statutory partners"."""
    if rule is None:
        return "enough members"
    if rule.bodies is None:
        return f"{_number(rule.quorum or 0)} members"
    parts = [
        f"{_number(b.quorum)} {'member' if b.quorum == 1 else 'members'} of {TITLES[b.kind]}"
        for b in rule.bodies
    ]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _number(n: int) -> str:
    return NUMBERS[n] if n < len(NUMBERS) else str(n)


@dataclass(frozen=True)
class Finished:
    """What became of a sign-off link that can no longer be used."""

    audit: str
    person: str
    decision: Decision | None  # the holder's own, in the round the link was for
    decided_at: datetime | None
    outcome: str | None  # "approved", "refused" or "moved_on" once the round has ended
    ended_at: datetime | None
    state_title: str | None  # where the audit went, when the round ended another way


def what_happened(deps: Deps, token: str) -> Finished | None:
    """For a sign-off link whose holder decided, or whose round has ended: what happened.
    None for any other link (unknown, still open, or its holder no longer in the role)."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        try:
            grant = tokens.find(c, token)
        except TokenError:
            return None
        if grant.purpose != LinkPurpose.SIGN_OFF:
            return None
        store = AuditStore(c)
        row = store.load_audit(grant.audit_id)
        try:
            who = check_holder(deps, c, grant, row)
        except TokenError:
            return None
        compiled = compiled_for(deps, store, row)
        mine = _decision(c, row.id, grant.round, who.id)
        ended = _round_end(c, row.id, grant.state, grant.round, compiled.stages)
    if mine is None and ended is None:
        return None
    outcome, ended_at, to_state = ended or (None, None, None)
    title = compiled.definition.state(to_state).title if to_state else None
    decision, decided_at = mine or (None, None)
    return Finished(row.reference, who.name, decision, decided_at, outcome, ended_at, title)


def _decision(
    c: Connection, audit_id: int, round_: int, person_id: int
) -> tuple[Decision, datetime] | None:
    d = t.decision
    found = c.execute(
        select(d.c.decision, d.c.decided_at).where(
            d.c.audit_id == audit_id, d.c.round == round_, d.c.person_id == person_id
        )
    ).first()
    return None if found is None else (Decision(found[0]), as_utc(found[1]))


def _round_end(
    c: Connection, audit_id: int, state: str, round_: int, stages: Stages
) -> tuple[str, datetime, str] | None:
    """How the visit of ``state`` entered at version ``round_`` ended, when, and where to."""
    e = t.event
    found = c.execute(
        select(e.c.trigger, e.c.at, e.c.to_state)
        .where(
            e.c.audit_id == audit_id,
            e.c.version > round_,
            e.c.from_state == state,
            e.c.to_state != state,
        )
        .order_by(e.c.version)
        .limit(1)
    ).first()
    if found is None:
        return None
    trigger, at, to_state = found
    if stages.approves(state, trigger):
        return "approved", as_utc(at), to_state
    if stages.refuses(state, trigger):
        return "refused", as_utc(at), to_state
    return "moved_on", as_utc(at), to_state


def needed_for(deps: Deps, connection: Connection, row: AuditRow) -> str:
    """Who must approve the audit's report, by its own rule."""
    definition = compiled_for(deps, AuditStore(connection), row).definition
    return needs(sign_off.audit_rule(connection, definition, row.id))
