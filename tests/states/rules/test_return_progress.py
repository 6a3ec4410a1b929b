"""Where an agency stands with the returns it owes in one round (``return_progress``)."""

from __future__ import annotations

import pytest

from states.rules.return_progress import ReturnProgress, RoundCounts, progress

P = ReturnProgress


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (RoundCounts(opened=False, asked=False, owed=5, started=0, submitted=0, reopened=0),
         P.NOT_REQUESTED),
        (RoundCounts(opened=True, asked=True, owed=0, started=0, submitted=0, reopened=0),
         P.NOT_REQUESTED),  # named in no sampled case
        (RoundCounts(opened=True, asked=False, owed=5, started=0, submitted=0, reopened=0),
         P.NOT_REQUESTED),  # nobody to ask
        (RoundCounts(opened=True, asked=True, owed=5, started=0, submitted=0, reopened=0),
         P.REQUESTED),
        (RoundCounts(opened=True, asked=True, owed=5, started=2, submitted=1, reopened=0),
         P.IN_PROGRESS),
        (RoundCounts(opened=True, asked=False, owed=1, started=1, submitted=0, reopened=0),
         P.IN_PROGRESS),  # entered for it by the coordinator
        (RoundCounts(opened=True, asked=True, owed=5, started=5, submitted=5, reopened=0),
         P.SUBMITTED),
        (RoundCounts(opened=True, asked=True, owed=5, started=5, submitted=4, reopened=1),
         P.REOPENED),
    ],
)  # fmt: skip
def test_progress(counts: RoundCounts, expected: ReturnProgress) -> None:
    assert progress(counts) is expected
