"""What the deep-dive page reads (issue 17), on SQLite and PostgreSQL: every setting that
returned, with its own ratings counted by grade, the declared rule, the sample and how it was
last taken; only for the audit's chair and the coordinators."""

from __future__ import annotations

import pytest

from states.errors import PermissionDenied
from states.services import deep_dive
from states.services.deep_dive_views import deep_dive_of
from states.services.deps import Deps
from tests.support.driver import Driver, drive
from tests.support.partnership import email, person_name
from tests.support.rules import CATALOGUE

COORDINATOR, CHAIR = email("coordinator"), email("chair")


def _standards() -> int:
    tool = CATALOGUE.tool("section_175")
    assert tool is not None
    return sum(1 for _, q in tool.questions() if q.type == "rating")


def test_every_returned_setting_with_its_ratings_and_the_rule(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "section_175", "deep_dive").reference
    view = deep_dive_of(deps, audit=reference, viewer=CHAIR)
    assert view.open and view.stage_title == "Deep dive on a sample of returns"
    assert (view.rated, view.percent_of_rest) == ("red", 10)
    assert [g.value for g in view.grades] == ["green", "amber", "red"]
    assert view.grade_label("red") == "Red"
    n = _standards()
    # The driver's returns: police rates every standard green, csc amber, community health red.
    assert [(s.code, s.ratings, s.sampled) for s in view.settings] == [
        ("csc", (("Amber", n),), False),
        ("community_health", (("Red", n),), False),
        ("police", (("Green", n),), False),
    ]
    assert view.taken is None and view.chosen == ()


def test_the_sample_and_how_it_was_taken(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "section_175", "deep_dive").reference
    deep_dive.choose_deep_dive(deps, audit=reference, actor=CHAIR, settings=["police"])
    view = deep_dive_of(deps, audit=reference, viewer=COORDINATOR)
    assert [s.code for s in view.chosen] == ["police"]
    assert view.taken is not None
    assert (view.taken.rule, view.taken.seed, view.taken.by) == (
        "chosen by hand",
        None,
        person_name("chair"),
    )
    assert view.taken.at == deps.clock.now()

    deep_dive.select_deep_dive(deps, audit=reference, actor=COORDINATOR, seed=3, reason="Rule")
    taken = deep_dive_of(deps, audit=reference, viewer=CHAIR).taken
    assert taken is not None
    assert (taken.rule, taken.seed) == ("every return rated red plus 10% of the rest", 3)


def test_before_the_deep_dive_nothing_returned_and_it_is_not_open(partnership: Deps) -> None:
    deps = partnership
    reference = Driver.start(deps, "section_175").reference
    view = deep_dive_of(deps, audit=reference, viewer=COORDINATOR)
    assert not view.open and view.stage_title == "Planning"
    assert view.settings == () and view.taken is None


@pytest.mark.parametrize("who", ["lhm", "lead.police", "auditor.one"])
def test_only_its_organisers_read_it(partnership: Deps, who: str) -> None:
    reference = drive(partnership, "section_175", "deep_dive").reference
    with pytest.raises(PermissionDenied, match="only the chair or coordinator may read its deep"):
        deep_dive_of(partnership, audit=reference, viewer=email(who))
