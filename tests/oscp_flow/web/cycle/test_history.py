"""An audit's history (issue 17, bench/pages.py): the audit page shows the changes of stage
and the latest steps, and links to the whole history, a page at a time, newest first, with
numbered page links that need no JavaScript. Readers of the audit page only; anyone signed
out is sent to sign in."""

from __future__ import annotations

import html
import logging
import re

import pytest
from fastapi.testclient import TestClient

from states.services import queries
from states.services.deps import Deps
from tests.oscp_flow.web.support import person
from tests.support.driver import Driver, drive
from tests.support.partnership import email, give_passwords, person_name
from tests.support.web import PASSWORD, sign_in


def _text(page: str) -> str:
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


@pytest.fixture
def reference(partnership: Deps) -> str:
    """A MACE at moderation: a dozen or more steps, some of them work within a stage."""
    give_passwords(partnership, PASSWORD, people=("coordinator", "chair", "auditor.one"))
    return drive(partnership, "mace", "moderation").reference


def test_the_audit_page_shows_stage_changes_latest_steps_and_a_link(
    partnership: Deps, client: TestClient, reference: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "RECENT_STEPS", 3)
    total = len(queries.history(partnership, audit=reference))
    sign_in(client, email("coordinator"))
    page = client.get(f"/audits/{reference}")
    assert page.status_code == 200
    history = _text(page.text).split("History", 1)[1]
    assert "Changes of stage" in history and "Moderation" in history
    assert f"The latest 3 of {total} recorded steps, newest first" in history
    assert f"Every recorded step ({total}), a page at a time" in history
    assert f'href="/audits/{reference}/history"' in page.text


def test_the_whole_history_a_page_at_a_time(
    partnership: Deps,
    client: TestClient,
    reference: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(queries, "HISTORY_PER_PAGE", 5)
    whole = queries.history(partnership, audit=reference)
    pages = -(-len(whole) // 5)
    sign_in(client, email("chair"))
    with caplog.at_level(logging.INFO, logger="oscp_flow.web.cycle"):
        first = client.get(f"/audits/{reference}/history")
    assert first.status_code == 200
    text = _text(first.text)
    assert f"History of audit {reference}" in text
    assert f"Steps 1 to 5 of {len(whole)}, counted from the newest" in text
    assert f'href="/audits/{reference}/history?page=2" rel="next"' in first.text
    assert 'aria-current="page"><span class="visually-hidden">Page </span>1<' in first.text
    assert f'href="/audits/{reference}/history?page={pages}"' in first.text
    assert f"person {person(partnership, 'chair')} read the history" in " ".join(caplog.messages)
    last = _text(client.get(f"/audits/{reference}/history?page={pages}").text)
    assert f"of {len(whole)}, counted from the newest" in last
    assert "Start" in last and "Planning" in last, "the oldest step is on the last page"
    assert f"Steps {5 * (pages - 1) + 1} to {len(whole)}" in last
    beyond = _text(client.get(f"/audits/{reference}/history?page=9999").text)
    assert beyond == last, "past the last page is the last"
    assert _text(client.get(f"/audits/{reference}/history?page=x").text) == text


def test_a_short_history_is_one_page(partnership: Deps, client: TestClient) -> None:
    give_passwords(partnership, PASSWORD, people=("coordinator",))
    reference = Driver.start(partnership, "mace").reference
    sign_in(client, email("coordinator"))
    page = client.get(f"/audits/{reference}/history")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Every step recorded (1)" in text and person_name("coordinator") in text
    assert 'class="pagination"' not in page.text
    audit_page = client.get(f"/audits/{reference}").text
    assert "a page at a time" not in audit_page and "Latest steps" not in audit_page


def test_only_the_audits_readers_read_its_history(
    partnership: Deps, client: TestClient, reference: str
) -> None:
    other = Driver.start(partnership, "mace").reference
    sign_in(client, email("auditor.one"))
    assert client.get(f"/audits/{reference}/history").status_code == 200
    assert client.get(f"/audits/{other}/history").status_code == 403
    assert client.get("/audits/AUD-NOSUCH/history").status_code == 404


def test_anyone_signed_out_is_sent_to_sign_in(client: TestClient, reference: str) -> None:
    response = client.get(f"/audits/{reference}/history", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")
