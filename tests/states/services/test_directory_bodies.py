"""Bodies and their members: one lead per statutory partner, every change logged, someone
removed leaves every body; on both stores."""

from __future__ import annotations

import pytest

from states.errors import InvalidInput, NotFound, PermissionDenied
from states.rules.directory import BodyEntry, BodyKind
from states.services import bodies, directory, partnership, people
from states.services.deps import Deps
from tests.support.partnership import email

COORDINATOR = email("coordinator")
WHY = "Terms of reference agreed by the partnership"


def _statutory(deps: Deps) -> None:
    bodies.add_body(
        deps,
        code="lsp",
        name="Lead safeguarding partners",
        kind="statutory partners",
        actor=COORDINATOR,
        reason=WHY,
    )


def test_members_join_and_leave_and_each_is_logged(partnership: Deps) -> None:
    deps = partnership
    bodies.add_body(
        deps, code="hub", name="Learning hub", kind="learning_hub", actor=COORDINATOR, reason=WHY
    )
    for local in ("chair", "lhm"):
        bodies.add_member(deps, body="hub", person=email(local), actor=COORDINATOR, reason=WHY)
    left = bodies.remove_member(
        deps, body="hub", person=email("chair"), actor=COORDINATOR, reason=WHY
    )
    assert left == BodyEntry(
        "hub", "Learning hub", BodyKind.LEARNING_HUB, frozenset({email("lhm")})
    )
    (shown,) = bodies.views(deps, viewer=COORDINATOR, code="hub")
    assert [(m.name, m.email) for m in shown.members] == [("Nat Brierley", email("lhm"))]
    logged = directory.log(deps, viewer=COORDINATOR, body="hub")
    assert [(row.change, row.member) for row in logged] == [
        ("member_removed", email("chair")),
        ("member_added", email("lhm")),
        ("member_added", email("chair")),
        ("added", None),
    ]
    with pytest.raises(InvalidInput, match="already a member"):
        bodies.add_member(deps, body="hub", person=email("lhm"), actor=COORDINATOR, reason=WHY)
    with pytest.raises(InvalidInput, match="not a member"):
        bodies.remove_member(deps, body="hub", person=email("chair"), actor=COORDINATOR, reason=WHY)


def test_one_lead_per_statutory_partner(partnership: Deps) -> None:
    deps = partnership
    _statutory(deps)
    for local in ("lsp.police", "lsp.council", "lsp.health"):
        bodies.add_member(deps, body="lsp", person=email(local), actor=COORDINATOR, reason=WHY)
    with pytest.raises(InvalidInput, match="Northvale Police already has its lead on Lead safe"):
        bodies.add_member(
            deps, body="lsp", person=email("lead.police"), actor=COORDINATOR, reason=WHY
        )
    with pytest.raises(InvalidInput, match="is not with a statutory partner"):
        bodies.add_member(
            deps, body="lsp", person=email("lead.health"), actor=COORDINATOR, reason=WHY
        )
    with pytest.raises(InvalidInput, match="is not with a statutory partner"):
        bodies.add_member(deps, body="lsp", person=email("chair"), actor=COORDINATOR, reason=WHY)
    # The lead changes: the old one goes first, then the new one may join.
    bodies.remove_member(
        deps, body="lsp", person=email("lsp.police"), actor=COORDINATOR, reason=WHY
    )
    bodies.add_member(deps, body="lsp", person=email("lead.police"), actor=COORDINATOR, reason=WHY)


def test_a_body_cannot_become_statutory_partners_with_two_leads_for_one(partnership: Deps) -> None:
    deps = partnership
    bodies.add_body(
        deps,
        code="pg",
        name="Performance group",
        kind="performance_group",
        actor=COORDINATOR,
        reason=WHY,
    )
    for local in ("lsp.police", "lead.police"):
        bodies.add_member(deps, body="pg", person=email(local), actor=COORDINATOR, reason=WHY)
    with pytest.raises(InvalidInput, match="already has its lead"):
        bodies.change_body(
            deps, body="pg", kind="statutory_partners", actor=COORDINATOR, reason=WHY
        )
    assert (
        directory.snapshot(deps, viewer=COORDINATOR).bodies["pg"].kind is BodyKind.PERFORMANCE_GROUP
    )


def test_seeding_keeps_the_same_rule(partnership: Deps) -> None:
    with pytest.raises(InvalidInput, match="already has its lead"):
        partnership_body(partnership, ("lsp.police", "lead.police"))
    partnership_body(partnership, ("lsp.police", "lsp.council"))
    assert directory.snapshot(partnership, viewer=COORDINATOR).bodies["lsp"].members == {
        email("lsp.police"),
        email("lsp.council"),
    }


def partnership_body(deps: Deps, members: tuple[str, ...]) -> int:
    return partnership.add_body(
        deps,
        code="lsp",
        name="Lead safeguarding partners",
        kind=BodyKind.STATUTORY_PARTNERS,
        members=[email(m) for m in members],
    )


def test_someone_removed_leaves_every_body_and_cannot_join_one(partnership: Deps) -> None:
    deps = partnership
    _statutory(deps)
    bodies.add_member(deps, body="lsp", person=email("lsp.police"), actor=COORDINATOR, reason=WHY)
    people.deactivate_person(deps, person=email("lsp.police"), actor=COORDINATOR, reason=WHY)
    assert directory.snapshot(deps, viewer=COORDINATOR).bodies["lsp"].members == frozenset()
    logged = directory.log(deps, viewer=COORDINATOR, person=email("lsp.police"))
    # Removed from this body and from the partnership's own statutory partners body.
    assert sorted(row.change for row in logged) == [
        "deactivated",
        "member_added",
        "member_removed",
        "member_removed",
    ]
    with pytest.raises(InvalidInput, match="has been removed from the directory, so cannot join"):
        bodies.add_member(
            deps, body="lsp", person=email("lsp.police"), actor=COORDINATOR, reason=WHY
        )


def test_refusals(partnership: Deps) -> None:
    deps = partnership
    _statutory(deps)
    with pytest.raises(InvalidInput, match="already a body with the code lsp"):
        _statutory(deps)
    with pytest.raises(NotFound, match="No body 'board'"):
        bodies.add_member(deps, body="board", person=email("lhm"), actor=COORDINATOR, reason=WHY)
    with pytest.raises(NotFound, match=r"No person 'nobody@example\.org'"):
        bodies.add_member(
            deps, body="lsp", person="nobody@example.org", actor=COORDINATOR, reason=WHY
        )
    with pytest.raises(InvalidInput, match="There is no kind of body 'board'"):
        bodies.add_body(deps, code="b", name="Board", kind="board", actor=COORDINATOR, reason=WHY)
    with pytest.raises(PermissionDenied, match="Only a coordinator"):
        bodies.add_member(
            deps, body="lsp", person=email("lsp.police"), actor=email("lsp.council"), reason=WHY
        )
    with pytest.raises(PermissionDenied, match="Only a coordinator"):
        bodies.views(deps, viewer=email("lhm"))
    assert directory.snapshot(deps, viewer=COORDINATOR).bodies["lsp"].members == frozenset()
