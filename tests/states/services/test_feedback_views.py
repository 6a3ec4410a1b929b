"""What the feedback page reads (issue 17), on SQLite and PostgreSQL: each setting owed
individual feedback (Section 175's deep-dive sample, Section 11's agencies that returned) with
what was recorded for it, by whom and when; only for the audit's chair and the coordinators."""

from __future__ import annotations

import pytest

from states.errors import PermissionDenied
from states.services import deep_dive
from states.services.deps import Deps
from states.services.feedback_views import feedback_of
from tests.support.driver import RETURNING, drive
from tests.support.partnership import agency_name, email, person_name

COORDINATOR, CHAIR = email("coordinator"), email("chair")


def test_section_175_owes_feedback_to_its_sample(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "section_175", "deep_dive").reference
    deep_dive.choose_deep_dive(deps, audit=reference, actor=CHAIR, settings=["police", "csc"])
    early = feedback_of(deps, audit=reference, viewer=CHAIR)
    assert not early.open and early.sampled
    assert [o.code for o in early.owed] == ["csc", "police"]  # by name
    assert early.recorded == 0 and early.limit == deep_dive.FEEDBACK_LIMIT


def test_feedback_recorded_by_whom_and_when(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "section_175", "individual_feedback").reference
    view = feedback_of(deps, audit=reference, viewer=COORDINATOR)
    assert view.open and view.stage_title == "Feedback to sampled settings"
    first = view.owed[0].code
    deep_dive.record_feedback(deps, audit=reference, actor=CHAIR, agency=first, summary="Good.")
    after = feedback_of(deps, audit=reference, viewer=CHAIR)
    given = after.owed[0].given
    assert given is not None and after.recorded == 1
    assert (given.words, given.by, given.at) == ("Good.", person_name("chair"), deps.clock.now())
    assert all(o.given is None for o in after.owed[1:])


def test_section_11_owes_feedback_to_every_agency_that_returned(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "section_11", "feedback_to_agencies").reference
    view = feedback_of(deps, audit=reference, viewer=CHAIR)
    assert view.open and not view.sampled
    assert [o.name for o in view.owed] == sorted(agency_name(code) for code in RETURNING)


@pytest.mark.parametrize("who", ["lhm", "lead.police"])
def test_only_its_organisers_read_it(partnership: Deps, who: str) -> None:
    reference = drive(partnership, "section_175", "individual_feedback").reference
    with pytest.raises(PermissionDenied, match="may read its individual feedback"):
        feedback_of(partnership, audit=reference, viewer=email(who))
