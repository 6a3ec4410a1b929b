"""Action links at the service level: bound, single use, expiring, revoked when the audit
moves on, unforgeable, and one sign-off transition however many arrive at once."""

from __future__ import annotations

import contextlib
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from states.clock import FakeClock
from states.errors import (
    TokenAlreadyUsed,
    TokenError,
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
)
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.store import AuditStore
from states.persistence.vocabulary import LinkPurpose
from states.services import links, minting, queries
from states.services.deps import Deps
from tests.support.driver import complete_answers, drive
from tests.support.partnership import email, person_name

MEMBERS = ("lhm", "lsp.council", "lsp.police", "lsp.health")


def _person(deps: Deps, local: str) -> int:
    with deps.uow(readonly=True) as uow:
        return AuditStore(uow.connection).load_actor(email(local)).id


def _audit_id(deps: Deps, reference: str) -> int:
    with deps.uow(readonly=True) as uow:
        return AuditStore(uow.connection).load_audit(reference).id


def _sign_off_links(deps: Deps) -> tuple[str, dict[str, str]]:
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    audit_id = _audit_id(deps, reference)
    minted = {}
    for member in MEMBERS:
        token = minting.mint(
            deps, purpose=LinkPurpose.SIGN_OFF, audit_id=audit_id, person_id=_person(deps, member)
        )
        assert token is not None and len(token) == tokens.TOKEN_LENGTH
        minted[member] = token
    return reference, minted


def _events(deps: Deps, outcome: str) -> int:
    with deps.uow(readonly=True) as uow:
        return int(
            uow.connection.execute(
                select(func.count())
                .select_from(t.token_event)
                .where(t.token_event.c.outcome == outcome)
            ).scalar_one()
        )


def test_only_the_hash_is_stored(partnership: Deps) -> None:
    _, minted = _sign_off_links(partnership)
    with partnership.uow(readonly=True) as uow:
        stored = set(uow.connection.execute(select(t.token.c.token_hash)).scalars())
    assert not stored & set(minted.values())
    assert {tokens.digest(token) for token in minted.values()} <= stored


def test_quorum_by_link_signs_off_and_a_replay_is_refused(partnership: Deps) -> None:
    deps = partnership
    reference, minted = _sign_off_links(deps)
    page = links.open_link(deps, minted["lhm"], purpose=LinkPurpose.SIGN_OFF)
    assert (page.audit, page.person) == (reference, person_name("lhm"))
    assert page.extra["needs"] == (
        "one member of the learning hub and two members of the statutory partners"
    )
    assert (
        links.decide_sign_off(deps, minted["lhm"], decision="approve", comment=None)
        == "awaiting_sign_off"
    )
    with pytest.raises(TokenAlreadyUsed):
        links.decide_sign_off(deps, minted["lhm"], decision="approve", comment=None)
    assert _events(deps, "replayed") == 1
    assert (
        links.decide_sign_off(deps, minted["lsp.police"], decision="approve", comment=None)
        == "awaiting_sign_off"
    )
    assert (
        links.decide_sign_off(deps, minted["lsp.council"], decision="approve", comment=None)
        == "actions_agreed"
    )
    # The audit moved on: the remaining member's link is revoked.
    with pytest.raises(TokenRevoked):
        links.open_link(deps, minted["lsp.health"], purpose=LinkPurpose.SIGN_OFF)


def test_a_refusal_by_link_asks_for_further_assurance(partnership: Deps) -> None:
    deps = partnership
    reference, minted = _sign_off_links(deps)
    state = links.decide_sign_off(
        deps, minted["lsp.health"], decision="refuse", comment="Evidence the health response"
    )
    assert state == "further_assurance_requested"
    last = queries.history(deps, audit=reference)[-1]
    assert (last.trigger, last.actor) == ("request_further_assurance", person_name("lsp.health"))


def test_expired_wrong_purpose_and_forged_links_are_refused(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    _, minted = _sign_off_links(deps)
    with pytest.raises(TokenInvalid):
        links.open_link(deps, minted["lhm"], purpose=LinkPurpose.RETURN)
    forged = 0
    token = minted["lhm"]
    for n in range(10_000):
        if n % 2:
            candidate = secrets.token_urlsafe(tokens.TOKEN_BYTES)
        else:
            position = n % len(token)
            flipped = "A" if token[position] != "A" else "B"
            candidate = token[:position] + flipped + token[position + 1 :]
        try:
            with deps.uow(readonly=True) as uow:
                tokens.find(uow.connection, candidate)
        except TokenInvalid:
            continue
        forged += 1
    assert forged == 0
    clock.advance(timedelta(days=30))
    with pytest.raises(TokenExpired):
        links.decide_sign_off(deps, minted["lhm"], decision="approve", comment=None)
    assert _events(deps, "expired") == 1


@pytest.mark.slow
def test_many_decisions_at_once_make_one_transition(partnership: Deps) -> None:
    deps = partnership
    reference, minted = _sign_off_links(deps)
    attempts = [minted[m] for m in MEMBERS] * 250  # 1,000 posts, each link 250 times
    barrier = threading.Barrier(50)

    def post(token: str) -> str:
        with contextlib.suppress(threading.BrokenBarrierError):  # start in waves of fifty
            barrier.wait(timeout=30)
        try:
            return links.decide_sign_off(deps, token, decision="approve", comment=None)
        except TokenError as refused:
            return type(refused).__name__

    with ThreadPoolExecutor(50) as pool:
        outcomes = list(pool.map(post, attempts))
    moved = [e for e in queries.history(deps, audit=reference) if e.trigger == "sign_off"]
    assert len(moved) == 1
    used = [o for o in outcomes if o in ("awaiting_sign_off", "actions_agreed")]
    assert 3 <= len(used) <= len(MEMBERS)
    assert set(outcomes) - {"awaiting_sign_off", "actions_agreed"} <= {
        "TokenAlreadyUsed",
        "TokenRevoked",
    }


def test_a_return_link_reaches_only_that_agencys_return(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "section_11", to="returns_open").reference
    token = minting.mint(
        deps,
        purpose=LinkPurpose.RETURN,
        audit_id=_audit_id(deps, reference),
        person_id=_person(deps, "lead.police"),
    )
    assert token is not None
    page = links.link_page_returns(deps, token)
    assert page.agency == "police" and page.cases == (None,)
    tool = deps.catalogue.tool("section_11")
    assert tool is not None
    saved = links.save_return(
        deps, token, case=None, answers={"leadership_rating": "red"}, submit=False
    )
    assert saved.status == "draft" and saved.agency == "police"
    links.save_return(deps, token, case=None, answers=complete_answers(tool), submit=True)
    with pytest.raises(TokenAlreadyUsed):
        links.save_return(deps, token, case=None, answers={}, submit=False)
