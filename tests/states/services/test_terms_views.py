"""The terms of reference as their page shows them (issue 17 item 1): the audit's own tool to
start from, whether they may still change, whether agreeing them is the next step (only on
types that agree them), who agreed them and when; the chair's and coordinators' only."""

from __future__ import annotations

import pytest

from states.clock import FakeClock
from states.errors import PermissionDenied
from states.services import audits, terms_views
from states.services.deps import Deps
from states.services.terms import PARTS
from tests.support.driver import drive
from tests.support.partnership import email, person_name
from tests.support.terms import TERMS, record_terms


def _start(deps: Deps, audit_type: str = "mace") -> str:
    return audits.start_audit(
        deps,
        audit_type=audit_type,
        theme="Neglect",
        lead=email("chair"),
        actor=email("coordinator"),
    ).reference


def test_before_anything_is_recorded_the_form_starts_from_the_audits_tool(
    partnership: Deps,
) -> None:
    deps = partnership
    reference = _start(deps)
    shown = terms_views.terms_page(deps, audit=reference, viewer=email("chair"))
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    assert shown.recorded is None and shown.agreed is None
    assert shown.starting_values == {p: tool.title if p == "tool" else "" for p in PARTS}
    assert shown.amendable and shown.agree_title == "Agree the terms of reference"
    assert (shown.version, shown.state_title) == (1, "Planning")


def test_agreed_terms_say_who_agreed_them_and_when(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    reference = _start(deps)
    record_terms(deps, reference)
    audits.fire(deps, audit=reference, trigger=terms_views.AGREE, actor=email("coordinator"))
    shown = terms_views.terms_page(deps, audit=reference, viewer=email("coordinator"))
    assert shown.agreed == terms_views.Agreed(person_name("coordinator"), clock.now())
    assert shown.starting_values["scope"] == TERMS["scope"]
    # Still planning, so a change is still taken; agreeing is no longer the next step.
    assert shown.amendable and shown.agree_title is None


def test_past_planning_they_are_fixed(partnership: Deps) -> None:
    reference = drive(partnership, "mace", "returns_open").reference
    shown = terms_views.terms_page(partnership, audit=reference, viewer=email("chair"))
    assert not shown.amendable and shown.agree_title is None
    assert shown.recorded is not None and shown.agreed is not None


def test_a_type_without_agreement_has_no_agree_step(partnership: Deps) -> None:
    reference = _start(partnership, "dip_sample")
    shown = terms_views.terms_page(partnership, audit=reference, viewer=email("chair"))
    assert shown.amendable and shown.agree_title is None


@pytest.mark.parametrize("who", ["lhm", "lead.police", "auditor.one"])
def test_only_the_chair_and_coordinators_see_the_page(partnership: Deps, who: str) -> None:
    reference = _start(partnership)
    with pytest.raises(PermissionDenied, match="may record or agree its terms of reference"):
        terms_views.terms_page(partnership, audit=reference, viewer=email(who))
