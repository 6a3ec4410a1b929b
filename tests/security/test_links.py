"""Findings 5, 9 and 10 (links): older action links stay dead, a second sign-off link is a
plain 409, a dead link opened again and again is one row, the "under way" button needs a
deliberate choice, and an e-mail whose link could not be made says so.

Everything here runs on SQLite and PostgreSQL: the stores decide the races and the
recording of refusals (an upsert written for each dialect).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from notifications.relay import relay
from oscp_flow.settings import Settings
from states.clock import FakeClock
from states.errors import AlreadyDecided, TokenInvalid, TokenRevoked
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.uow import UnitOfWorkFactory
from states.persistence.vocabulary import LinkPurpose
from states.rules.catalogue import Catalogue
from states.services import action_links, actions, links, people
from states.services.deps import Deps
from tests.notifications.relay_once import Config
from tests.oscp_flow.web.support import (
    action_link,
    action_token,
    csrf_of,
    mint,
    return_link,
    sign_off_links,
)
from tests.support.accessibility import axe_violations
from tests.support.browser import chromium, follow, serving
from tests.support.migrations import migrate_to
from tests.support.partnership import email, seed_partnership
from tests.support.ports import bound, port_of
from tests.support.smtp import Recorder, mailer, smtp_server
from tests.support.web_clients import Clients

COORDINATOR = email("coordinator")


@pytest.fixture
def client(partnership: Deps, tmp_path: Path) -> Iterator[TestClient]:
    with Clients(partnership, tmp_path) as made:
        yield made()


def _action_status(deps: Deps, reference: str) -> str:
    plan = actions.list_actions(deps, audit=reference, as_person=COORDINATOR)
    return next(a.status for a in plan if a.number == 1)


# --- finding 5: older action links ------------------------------------------------------------


def test_a_new_action_link_withdraws_the_holders_older_one(partnership: Deps) -> None:
    deps = partnership
    reference, first = action_link(deps)
    colleague = action_token(deps, reference, "lsp.police")
    second = action_token(deps, reference, "lead.police")  # a reminder's fresh link
    with pytest.raises(TokenRevoked, match="newer"):
        action_links.open_action_link(deps, first)
    with pytest.raises(TokenRevoked):
        action_links.start_by_link(deps, first)
    assert action_links.open_action_link(deps, second).status == "open"
    assert action_links.open_action_link(deps, colleague).status == "open"  # not theirs


def test_evidence_sent_back_does_not_bring_older_links_back(partnership: Deps) -> None:
    deps = partnership
    reference, mine = action_link(deps)
    colleagues = action_token(deps, reference, "lsp.police")
    action_links.submit_evidence_by_link(deps, mine, evidence="A new policy.")
    actions.refuse_evidence(
        deps, audit=reference, actor=email("lhm"), number=1, reason="Show it in practice."
    )
    assert _action_status(deps, reference) == "in_progress"  # owed again...
    with pytest.raises(TokenRevoked):  # ...but only by the links sent with the reason
        action_links.open_action_link(deps, colleagues)
    with pytest.raises(TokenRevoked):
        action_links.submit_evidence_by_link(deps, colleagues, evidence="Old link.")
    fresh = action_token(deps, reference, "lsp.police")
    assert action_links.open_action_link(deps, fresh).review_note == "Show it in practice."


# --- finding 9: a second sign-off link ----------------------------------------------------------


def _decide(client: TestClient, token: str) -> int:
    form = {
        "csrf_token": csrf_of(client.get(f"/act/{token}").text),
        "purpose": "sign_off",
        "decision": "approve",
    }
    return client.post(f"/act/{token}", data=form).status_code


def _decisions(deps: Deps) -> int:
    with deps.uow(readonly=True) as uow:
        return int(
            uow.connection.execute(select(func.count()).select_from(t.decision)).scalar_one()
        )


def test_a_second_sign_off_link_after_deciding_is_409_not_500(
    partnership: Deps, client: TestClient
) -> None:
    deps = partnership
    reference, minted = sign_off_links(deps)
    resent = mint(deps, LinkPurpose.SIGN_OFF, reference, "lhm")  # a reminder's fresh link
    form = {"csrf_token": csrf_of(client.get(f"/act/{resent}").text)}  # open, not yet used
    assert _decide(client, minted["lhm"]) == 200
    # Opening it says what happened; sending it again is refused, saying the same.
    opened = client.get(f"/act/{resent}")
    assert opened.status_code == 200 and "You approved this on" in opened.text
    posted = client.post(
        f"/act/{resent}", data={**form, "purpose": "sign_off", "decision": "refuse", "comment": "x"}
    )
    assert posted.status_code == 409 and "You approved this on" in posted.text
    with pytest.raises(AlreadyDecided):
        links.decide_sign_off(deps, resent, decision="approve", comment=None)
    assert _decisions(deps) == 1


@pytest.mark.slow
def test_twenty_concurrent_second_link_decisions_are_all_409(
    partnership: Deps, client: TestClient
) -> None:
    deps = partnership
    reference, minted = sign_off_links(deps)
    both = [minted["lhm"], mint(deps, LinkPurpose.SIGN_OFF, reference, "lhm")]
    third = mint(deps, LinkPurpose.SIGN_OFF, reference, "lhm")  # opened now, posted once decided
    forms = {
        token: {
            "csrf_token": csrf_of(client.get(f"/act/{token}").text),
            "purpose": "sign_off",
            "decision": "approve",
        }
        for token in [*both, third]
    }
    barrier = threading.Barrier(20)

    def post(token: str) -> int:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=30)
        return client.post(f"/act/{token}", data=forms[token]).status_code

    with ThreadPoolExecutor(20) as pool:
        raced = list(pool.map(post, both * 10))
    assert sorted(raced) == [200] + [409] * 19
    # Decided: the third link, posted twenty times at once, is refused every time.
    barrier.reset()
    with ThreadPoolExecutor(20) as pool:
        late = list(pool.map(post, [third] * 20))
    assert late == [409] * 20
    assert _decisions(deps) == 1


# --- finding 10: link hygiene -------------------------------------------------------------------


def test_a_dead_link_opened_a_hundred_times_is_one_row(
    partnership: Deps, client: TestClient, clock: FakeClock
) -> None:
    _, minted = sign_off_links(partnership)
    token = minted["lhm"]
    clock.advance(timedelta(days=60))
    for _ in range(50):
        assert client.get(f"/act/{token}").status_code == 410
        assert client.head(f"/act/{token}").status_code == 410
    with partnership.uow(readonly=True) as uow:
        assert uow.connection.execute(select(func.count()).select_from(t.token_event)).scalar() == 1
        rows = uow.connection.execute(
            select(t.token_event.c.outcome, t.token_event.c.times, t.token_event.c.last_at)
        ).all()
    assert [(row.outcome, row.times) for row in rows] == [("expired", 100)]
    assert rows[0].last_at is not None


def test_forged_links_write_nothing_even_when_acted_on(partnership: Deps) -> None:
    """Only links that are ours are counted: a forger posting made-up tokens (past the form
    check) cannot grow the table either."""
    sign_off_links(partnership)
    for n in range(20):
        forged = f"{n:02d}".ljust(tokens.TOKEN_LENGTH, "A")
        with pytest.raises(TokenInvalid):
            links.decide_sign_off(partnership, forged, decision="approve", comment=None)
        with pytest.raises(TokenInvalid):
            action_links.start_by_link(partnership, forged)
    with partnership.uow(readonly=True) as uow:
        assert uow.connection.execute(select(func.count()).select_from(t.token_event)).scalar() == 0


def test_under_way_needs_a_deliberate_choice(partnership: Deps, client: TestClient) -> None:
    deps = partnership
    reference, token = action_link(deps)
    page = client.get(f"/act/{token}").text
    assert 'name="under_way"' in page
    # A scanner submits the form as it finds it: nothing ticked.
    form = {"csrf_token": csrf_of(page), "purpose": "action", "step": "start"}
    pressed = client.post(f"/act/{token}", data=form)
    assert pressed.status_code == 400
    assert 'href="#under_way"' in pressed.text and 'id="under_way-error"' in pressed.text
    assert _action_status(deps, reference) == "open"
    meant = client.post(f"/act/{token}", data={**form, "under_way": "yes"})
    assert meant.status_code == 200 and _action_status(deps, reference) == "in_progress"


def _sent_to(received: list[EmailMessage], address: str) -> str:
    """The text and HTML of the one "Action for ..." message to ``address``."""
    found = [
        m
        for m in received
        if address in str(m["To"]) and str(m["Subject"]).startswith("Action for")
    ]
    assert len(found) == 1
    parts = [found[0].get_body(preferencelist=(kind,)) for kind in ("plain", "html")]
    return "\n".join(str(part.get_content()) for part in parts if part is not None)


def test_an_email_for_a_removed_person_says_it_has_no_link(partnership: Deps) -> None:
    deps = partnership
    action_link(deps)  # queues "an action is yours" to the police's two leads
    people.deactivate_person(
        deps, person=email("lead.police"), actor=COORDINATOR, reason="Left the police"
    )
    server = Recorder()
    with smtp_server(server) as port:
        relay(deps, mailer(port), config=Config())
    text = _sent_to(server.received, email("lead.police"))
    assert text.count("This e-mail has no link because") == 2  # in the text and the HTML
    assert "contact the coordinator" in text
    assert "/act/" not in text and "/audits/" not in text and "href" not in text
    assert "/act/" in _sent_to(server.received, email("lsp.police"))


@pytest.mark.slow
def test_the_action_page_refusing_an_unticked_box_passes_axe(
    sqlite_engine: Engine, catalogue: Catalogue, clock: FakeClock, tmp_path: Path
) -> None:
    deps = Deps(uow=UnitOfWorkFactory(sqlite_engine), catalogue=catalogue, clock=clock)
    seed_partnership(deps)
    reference, token = action_link(deps)
    web = bound()
    port = port_of(web)
    base = f"http://127.0.0.1:{port}"
    with serving(deps, Settings(home=tmp_path, base_url=base), web), chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/act/{token}")
        checked = [axe_violations(page)]
        follow(page, page.get_by_role("button", name="The action is under way"))
        assert page.locator(".error-summary a[href='#under_way']").count() == 1
        assert page.title().startswith("Error: ")
        checked.append(axe_violations(page))
        page.screenshot(path=str(tmp_path / "under-way-refused.png"), full_page=True)
    assert checked == [[], []]
    assert _action_status(deps, reference) == "open"


def test_the_migration_folds_refusals_already_recorded(partnership: Deps, engine: Engine) -> None:
    """A database from before the fix, with a row per refusal, keeps one row per link and
    outcome, counting them; rows for tokens that were never ours are left alone."""
    # A return link: a sign-off link needs a frozen summary, which 0022's downgrade refuses
    # to drop, and any link of ours will do for the refusals the migration folds.
    _, token = return_link(partnership, "section_11")
    with partnership.uow(readonly=True) as uow:
        token_id = tokens.find(uow.connection, token).id
    migrate_to(engine, "0013", down=True)
    rows: list[tuple[int | None, str, str]] = [
        (token_id, f"2026-03-0{day} 10:00:00+00:00", "expired") for day in (2, 3, 4)
    ]
    rows += [(token_id, "2026-03-02 11:00:00+00:00", "replayed"), (None, "2026-03-02", "unknown")]
    with engine.begin() as connection:
        for row in rows:
            connection.execute(
                text("INSERT INTO token_event (token_id, at, outcome) VALUES (:t, :at, :o)"),
                {"t": row[0], "at": row[1], "o": row[2]},
            )
    migrate_to(engine, "head")
    with engine.connect() as connection:
        found = connection.execute(
            select(
                t.token_event.c.outcome, t.token_event.c.times, t.token_event.c.last_at
            ).order_by(t.token_event.c.outcome)
        ).all()
    assert [(outcome, times) for outcome, times, _ in found] == [
        ("expired", 3),
        ("replayed", 1),
        ("unknown", 1),
    ]
    assert found[0].last_at.day == 4
