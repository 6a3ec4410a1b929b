"""An audit's history read in parts (``queries.history_summary``, ``queries.history_page``),
on both stores: the parts agree with the whole read (``queries.history``) step for step."""

from __future__ import annotations

import pytest

from states.errors import NotFound
from states.services import queries
from states.services.deps import Deps
from tests.support.driver import drive


@pytest.fixture
def audit(partnership: Deps) -> str:
    """A MACE at moderation: changes of stage, with work within its stages between them."""
    return drive(partnership, "mace", "moderation").reference


def test_pages_are_the_whole_history_newest_first(partnership: Deps, audit: str) -> None:
    whole = queries.history(partnership, audit=audit)
    per_page = 4
    first = queries.history_page(partnership, audit=audit, per_page=per_page)
    assert first.total == len(whole) > 2 * per_page
    assert first.pages == -(-len(whole) // per_page) and first.page == 1
    read = [
        e
        for n in range(1, first.pages + 1)
        for e in queries.history_page(partnership, audit=audit, page=n, per_page=per_page).events
    ]
    assert read == whole[::-1]
    last = queries.history_page(partnership, audit=audit, page=first.pages, per_page=per_page)
    assert len(last.events) == len(whole) - (first.pages - 1) * per_page
    assert last.events[-1].trigger == "start"


def test_a_page_out_of_range_is_the_nearest_there_is(partnership: Deps, audit: str) -> None:
    past = queries.history_page(partnership, audit=audit, page=10_000, per_page=5)
    assert past.page == past.pages and past.events
    before = queries.history_page(partnership, audit=audit, page=0, per_page=5)
    assert before.page == 1
    assert before.events == queries.history_page(partnership, audit=audit, per_page=5).events


def test_the_summary_is_the_stage_changes_and_the_latest_steps(
    partnership: Deps, audit: str
) -> None:
    whole = queries.history(partnership, audit=audit)
    summary = queries.history_summary(partnership, audit=audit, recent=3)
    assert summary.reference == audit and summary.total == len(whole)
    changes = [e for e in whole if e.from_state != e.to_state]
    assert list(summary.stage_changes) == changes
    assert len(changes) < len(whole), "the driven MACE records work within its stages"
    assert list(summary.recent) == whole[:-4:-1]
    assert summary.visited == {s for e in whole for s in (e.from_state, e.to_state)} - {""}
    assert "moderation" in summary.visited and "closed" not in summary.visited


def test_an_unknown_audit_is_not_found(partnership: Deps) -> None:
    with pytest.raises(NotFound):
        queries.history_page(partnership, audit="AUD-NOSUCH")
    with pytest.raises(NotFound):
        queries.history_summary(partnership, audit="AUD-NOSUCH")
