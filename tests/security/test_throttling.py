"""Finding 3: nobody can lock staff out, guessing stays slow, the holder is told, and password
hashing cannot exhaust the server's memory.

Failures are counted per account and network address together: after a few from one address
for one account, each further try from that pair waits twice as long as the last (on the
engine's clock), while the real owner at their own address signs in as ever. The account
holder is e-mailed once a day at most. A throttled try is refused before any hashing, and
hashing itself has a fixed number of slots: when they are all taken the answer is 503.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from httpx2 import Response
from sqlalchemy import func, select

from notifications.relay import RelayResult, outbox_messages, relay
from notifications.render import render_message
from oscp_flow.web.coordinator import REFUSED, TOO_SOON
from states.clock import FakeClock
from states.errors import HashingBusy
from states.persistence import tables as t
from states.rules.passwords import HashingSlots
from states.rules.throttling import FREE_TRIES, account_key
from states.services.deps import Deps
from tests.oscp_flow.web.support import csrf_of, person
from tests.support.partnership import email, give_passwords, person_name
from tests.support.relay import CONFIG
from tests.support.smtp import Recorder, mailer, smtp_server, text_of
from tests.support.web import PASSWORD, sign_in
from tests.support.web_clients import Clients, app_of

WRONG = "wrong guess number"
ATTACKERS = ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5")


@pytest.fixture
def people(partnership: Deps) -> Deps:
    give_passwords(partnership, PASSWORD)
    return partnership


@pytest.fixture
def clients(people: Deps, tmp_path: Path) -> Iterator[Clients]:
    with Clients(people, tmp_path) as made:
        yield made


def _refused(response: Response) -> bool:
    return response.status_code == 400 and REFUSED.split(".")[0] in response.text


def _throttled(response: Response) -> bool:
    return response.status_code == 429 and TOO_SOON.split(".")[0] in response.text


def _told(deps: Deps, local: str) -> list[dict[str, str]]:
    with deps.uow(readonly=True) as uow:
        contexts = uow.connection.execute(
            select(t.outbox.c.context).where(
                t.outbox.c.kind == "sign_in_failures",
                t.outbox.c.recipient_id == person(deps, local),
            )
        ).scalars()
        return [json.loads(context) for context in contexts]


def test_fifty_wrong_passwords_from_five_addresses_do_not_stop_the_owner(
    people: Deps, clients: Clients
) -> None:
    for address in ATTACKERS:
        attacker = clients(address)
        answers = [sign_in(attacker, email("coordinator"), WRONG) for _ in range(10)]
        assert all(_refused(a) or _throttled(a) for a in answers)
        assert sum(map(_throttled, answers)) == 7  # three free tries, then the waits
    owner = clients("192.0.2.44")
    assert sign_in(owner, email("coordinator")).status_code == 303
    # The holder hears of it once, and the e-mail names no address.
    told = _told(people, "coordinator")
    assert len(told) == 1
    assert told[0]["failures"] == "3" and told[0]["addresses"] == "1"
    assert not any(address in json.dumps(told) for address in ATTACKERS)


def test_the_waits_grow_for_the_attacking_pair(
    people: Deps, clients: Clients, clock: FakeClock
) -> None:
    attacker = clients("203.0.113.9")
    for _ in range(FREE_TRIES):
        assert _refused(sign_in(attacker, email("coordinator"), WRONG))
    waits = []
    for _ in range(12):
        held = sign_in(attacker, email("coordinator"), WRONG)
        assert _throttled(held)
        wait = int(held.headers["retry-after"])
        waits.append(wait)
        clock.advance(timedelta(seconds=wait - 1))
        assert _throttled(sign_in(attacker, email("coordinator"), WRONG))  # not yet
        clock.advance(timedelta(seconds=1))
        assert _refused(sign_in(attacker, email("coordinator"), WRONG))  # tried, and wrong
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    # Even the right password waits its turn from this pair: nothing is hashed meanwhile.
    assert _throttled(sign_in(attacker, email("coordinator")))
    # Another account from the same address, and this account from another, are untouched.
    assert sign_in(attacker, email("chair")).status_code == 303
    assert sign_in(clients("192.0.2.44"), email("coordinator")).status_code == 303


def test_a_right_password_clears_the_pairs_count(
    people: Deps, clients: Clients, clock: FakeClock
) -> None:
    browser = clients()
    for _ in range(FREE_TRIES):
        sign_in(browser, email("coordinator"), WRONG)
    clock.advance(timedelta(seconds=1))
    assert sign_in(browser, email("coordinator")).status_code == 303
    for _ in range(FREE_TRIES):
        assert _refused(sign_in(browser, email("coordinator"), WRONG))
    assert _throttled(sign_in(browser, email("coordinator"), WRONG))


def test_unknown_addresses_are_throttled_alike_and_nobody_is_told(
    people: Deps, clients: Clients
) -> None:
    known, unknown = clients("203.0.113.7"), clients("203.0.113.8")
    pages = {}
    for who, client in ((email("coordinator"), known), ("nobody@example.org", unknown)):
        for _ in range(FREE_TRIES):
            assert _refused(sign_in(client, who, WRONG))
        held = sign_in(client, who, WRONG)
        assert _throttled(held) and held.headers["retry-after"] == "1"
        pages[who] = re.sub(r'value="[^"]*"', "", held.text)
    # Word for word the same: being held back says nothing about whether the account exists.
    assert len(set(pages.values())) == 1
    with people.uow(readonly=True) as uow:
        kinds = uow.connection.execute(select(t.outbox.c.recipient_id)).scalars().all()
    assert kinds == [person(people, "coordinator")]


def test_the_holder_is_told_at_most_once_a_day(
    people: Deps, clients: Clients, clock: FakeClock
) -> None:
    for address in ATTACKERS[:2]:
        for _ in range(FREE_TRIES):
            sign_in(clients(address), email("chair"), WRONG)
    assert len(_told(people, "chair")) == 1
    clock.advance(timedelta(hours=23))
    for _ in range(FREE_TRIES):
        sign_in(clients(ATTACKERS[2]), email("chair"), WRONG)
    assert len(_told(people, "chair")) == 1
    clock.advance(timedelta(hours=2))
    for _ in range(FREE_TRIES):
        sign_in(clients(ATTACKERS[3]), email("chair"), WRONG)
    told = _told(people, "chair")
    assert len(told) == 2
    # By now the day-old pairs are gone; the new e-mail counts what is still remembered.
    assert told[1]["failures"] == "6" and told[1]["addresses"] == "2"


def test_the_email_says_what_happened_and_what_to_do(people: Deps, clients: Clients) -> None:
    for _ in range(FREE_TRIES):
        sign_in(clients("203.0.113.1"), email("coordinator"), WRONG)
    (context,) = _told(people, "coordinator")
    message = render_message(
        "sign_in_failures",
        context,
        recipient_name=person_name("coordinator"),
        base_url="https://oscp.example.org",
    )
    for body in (message.text, message.html):
        assert "3 failed attempts to sign in" in body
        assert "Monday 2 March 2026 at 09:30" in body
        assert "from 1 network address" in body
        assert "Nothing is locked" in body
        assert "change your password" in body
        assert "203.0.113" not in body
    assert "https://oscp.example.org/account/password" in message.text


def test_the_relay_delivers_it_to_the_holder_alone(people: Deps, clients: Clients) -> None:
    for address in ATTACKERS:
        for _ in range(FREE_TRIES):
            sign_in(clients(address), email("coordinator"), WRONG)
    (waiting,) = outbox_messages(people)
    assert waiting.kind == "sign_in_failures" and waiting.audit is None
    server = Recorder()
    with smtp_server(server) as port:
        assert relay(people, mailer(port), config=CONFIG) == RelayResult(sent=1)
    assert server.envelopes == [(email("coordinator"),)]
    (message,) = server.received
    assert message["Subject"] == "Failed attempts to sign in to your OSCP account"
    assert "3 failed attempts to sign in" in text_of(message)
    assert not any(address in message.as_string() for address in ATTACKERS)


def test_day_old_failures_are_forgotten(people: Deps, clients: Clients, clock: FakeClock) -> None:
    for address in ATTACKERS:
        sign_in(clients(address), email("coordinator"), WRONG)
    clock.advance(timedelta(days=1, seconds=1))
    sign_in(clients("203.0.113.99"), email("coordinator"), WRONG)
    with people.uow(readonly=True) as uow:
        rows = uow.connection.execute(select(func.count()).select_from(t.sign_in_throttle))
        assert rows.scalar_one() == 1


def test_hashing_is_capped_and_a_full_house_answers_503(people: Deps, clients: Clients) -> None:
    browser = clients(hashing_limit=1, hashing_wait_seconds=0)
    slots = app_of(browser).state.hashing
    assert isinstance(slots, HashingSlots)
    with slots.slot():  # every slot taken, as by a flood of sign-ins
        busy = sign_in(browser, email("coordinator"))
        assert busy.status_code == 503
        assert "busy" in busy.text and "try again in a minute" in busy.text
        assert busy.headers["retry-after"] == "60"
    # Nothing was counted against the account, and with the slot free it works.
    assert sign_in(browser, email("coordinator")).status_code == 303


def test_a_throttled_try_never_waits_for_a_hashing_slot(people: Deps, clients: Clients) -> None:
    browser = clients(hashing_limit=1, hashing_wait_seconds=0)
    for _ in range(FREE_TRIES):
        sign_in(browser, email("coordinator"), WRONG)
    with app_of(browser).state.hashing.slot():
        assert _throttled(sign_in(browser, email("coordinator"), WRONG))


def test_the_slots_refuse_at_once_with_no_wait() -> None:
    slots = HashingSlots(2, wait_seconds=0)
    with slots.slot(), slots.slot(), pytest.raises(HashingBusy):  # noqa: SIM117
        with slots.slot():
            pass
    with slots.slot():  # released again
        pass


def test_wrong_current_passwords_on_the_change_page_count_alike(
    people: Deps, clients: Clients
) -> None:
    browser = clients()
    sign_in(browser, email("coordinator"))
    new = "a brand new passphrase"
    answers = []
    for _ in range(FREE_TRIES + 1):
        csrf = csrf_of(browser.get("/account/password").text)
        form = {"csrf_token": csrf, "current": WRONG, "new": new, "again": new}
        answers.append(browser.post("/account/password", data=form))
    assert [a.status_code for a in answers] == [400, 400, 400, 429]
    assert "Wait a moment" in answers[-1].text


def test_the_pair_is_kept_by_hash_and_address_only(people: Deps, clients: Clients) -> None:
    sign_in(clients("203.0.113.1"), "  Coordinator@Example.org ", WRONG)
    with people.uow(readonly=True) as uow:
        row = uow.connection.execute(select(t.sign_in_throttle)).one()
    assert row.address == "203.0.113.1"
    assert "example.org" not in str(tuple(row)).lower()
    assert row.account_hash == account_key("coordinator@example.org")
