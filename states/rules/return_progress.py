"""Where one agency or setting stands with the returns it owes in one round of returns.

Pure: the counts come from ``states.services.returns_status``. The round is the audit's
current (or, once returns have closed, its last) round, so a return reopened or asked for
again in a later round is never counted twice or mixed with an earlier round's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReturnProgress(StrEnum):
    NOT_REQUESTED = "not_requested"
    REQUESTED = "requested"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    # A submitted return sent back by the coordinator and not yet submitted again.
    REOPENED = "reopened"


@dataclass(frozen=True)
class RoundCounts:
    """One agency's returns in the round: ``owed`` is known from the sample before the agency
    starts (one per case naming it, or one for a tool completed per agency); ``started``
    counts drafts and submitted returns alike."""

    opened: bool  # the audit has had a round of returns
    asked: bool  # a return request was queued for the agency's leads in the round
    owed: int
    started: int
    submitted: int
    reopened: int


def progress(counts: RoundCounts) -> ReturnProgress:
    # Owing nothing (named in no sampled case) is never a request, whatever else holds.
    if not counts.opened or counts.owed == 0:
        return ReturnProgress.NOT_REQUESTED
    if counts.reopened:
        return ReturnProgress.REOPENED
    if counts.submitted >= counts.owed:
        return ReturnProgress.SUBMITTED
    if counts.started:
        return ReturnProgress.IN_PROGRESS
    # Nobody to ask (no active agency lead) is not a request, even while returns are open.
    return ReturnProgress.REQUESTED if counts.asked else ReturnProgress.NOT_REQUESTED
