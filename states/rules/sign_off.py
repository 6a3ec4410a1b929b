"""Where a round of sign-off stands: each body's tally of its members' decisions, and the outcome.

A decision counts for every body the rule names that its member sat on when deciding (a
statutory partner who also sits on the learning hub counts for both); the author's own never
counts. With ``refusal: any`` one refusal sends the report back and each body approves once
its quorum of members has approved. With ``refusal: majority`` a body decides once its quorum
of members has decided, by the majority of them, and a tie waits for another decision. The
report is signed off when every body has approved, and sent back when any body refuses.

Audits whose rule names roles (started before bodies were declared) decide as they always did:
one quorum over everyone holding the roles, sent back by any one refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from states.definitions.bodies import TITLES, BodyKind
from states.definitions.sign_off import Refusal, SignOffBody, SignOffDef


class Decision(StrEnum):
    """A sign-off member's decision, as stored in ``sign_off_decision.decision``."""

    APPROVE = "approve"
    REFUSE = "refuse"


@dataclass(frozen=True)
class SignOffDecision:
    person_id: int
    person: str
    roles: frozenset[str]
    decision: Decision
    # The kinds of body the decision counts for (none under a role-based rule).
    bodies: frozenset[BodyKind] = frozenset()


class Outcome(StrEnum):
    WAITING = "waiting"
    APPROVED = "approved"
    REFUSED = "refused"


@dataclass(frozen=True)
class Tally:
    """One body's (or, under a role-based rule, everyone's) decisions this round."""

    body: SignOffBody | None
    approvals: tuple[str, ...]
    refusals: tuple[str, ...]
    outcome: Outcome

    @property
    def title(self) -> str:
        return "those who sign off" if self.body is None else TITLES[self.body.kind]


def counted(
    rule: SignOffDef, decisions: Sequence[SignOffDecision], *, author_id: int | None
) -> list[SignOffDecision]:
    """The decisions the rule counts: never the author's (when excluded), and only those of
    people holding its roles, or made for one of its bodies."""
    kinds = {body.kind for body in rule.bodies or ()}
    roles = set(rule.roles or ())
    return [
        d
        for d in decisions
        if not (rule.exclude_author and d.person_id == author_id)
        and (d.bodies & kinds if rule.bodies is not None else d.roles & roles)
    ]


def tallies(
    rule: SignOffDef, decisions: Sequence[SignOffDecision], *, author_id: int | None
) -> tuple[Tally, ...]:
    """Each body's tally, in the rule's order (one tally for a role-based rule)."""
    found = counted(rule, decisions, author_id=author_id)
    if rule.bodies is None:
        assert rule.quorum is not None  # the model's own check: roles come with a quorum
        return (_tally(None, rule.quorum, Refusal.ANY, found),)
    return tuple(
        _tally(body, body.quorum, rule.refusal, [d for d in found if body.kind in d.bodies])
        for body in rule.bodies
    )


def _tally(
    body: SignOffBody | None, quorum: int, refusal: Refusal, decisions: list[SignOffDecision]
) -> Tally:
    approvals = tuple(d.person for d in decisions if d.decision == Decision.APPROVE)
    refusals = tuple(d.person for d in decisions if d.decision == Decision.REFUSE)
    return Tally(
        body, approvals, refusals, _outcome(quorum, refusal, len(approvals), len(refusals))
    )


def _outcome(quorum: int, refusal: Refusal, approvals: int, refusals: int) -> Outcome:
    if refusal is Refusal.ANY:
        if refusals:
            return Outcome.REFUSED
        return Outcome.APPROVED if approvals >= quorum else Outcome.WAITING
    if approvals + refusals < quorum or approvals == refusals:
        return Outcome.WAITING
    return Outcome.APPROVED if approvals > refusals else Outcome.REFUSED


def outcome(found: Sequence[Tally]) -> Outcome:
    """Sent back when any body refuses; signed off when every body approves."""
    if any(t.outcome is Outcome.REFUSED for t in found):
        return Outcome.REFUSED
    if all(t.outcome is Outcome.APPROVED for t in found):
        return Outcome.APPROVED
    return Outcome.WAITING


def waiting_on(rule: SignOffDef, found: Sequence[Tally]) -> str:
    """What the report still waits for, body by body, in one sentence."""
    parts = []
    for t in found:
        if t.outcome is Outcome.APPROVED:
            continue
        quorum = rule.quorum if t.body is None else t.body.quorum
        assert quorum is not None
        parts.append(_waiting(t, quorum, rule.refusal))
    return "; ".join(parts)


def _waiting(t: Tally, quorum: int, refusal: Refusal) -> str:
    if refusal is Refusal.MAJORITY:
        decided = len(t.approvals) + len(t.refusals)
        if decided >= quorum:
            return f"{t.title} are tied, {len(t.approvals)} to {len(t.refusals)}"
        return f"{decided} of the {quorum} decisions needed from {t.title} have been made"
    needed = "approvals needed" if t.body is None else f"approvals needed from {t.title}"
    return f"{len(t.approvals)} of the {quorum} {needed} have been given"


def refused_by(rule: SignOffDef, found: Sequence[Tally]) -> str:
    """Who sent the report back, in one sentence."""
    refused = [t for t in found if t.outcome is Outcome.REFUSED]
    if rule.refusal is Refusal.MAJORITY:
        names = " and ".join(t.title for t in refused)
        return f"{names} refused sign-off by a majority and asked for further assurance"
    people = list(dict.fromkeys(name for t in refused for name in t.refusals))
    return f"{_listed(people)} refused sign-off and asked for further assurance"


def _listed(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"
