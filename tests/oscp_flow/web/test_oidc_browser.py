"""In real headless Chromium, against a real OpenID Connect provider on loopback: a
coordinator signs in with their organisation's account and lands on their page, signs out,
and the old cookie opens nothing; a stranger's account is refused with a plain page. The
provider is named ``localhost`` and the app ``127.0.0.1``: two sites, as with a real
provider, so the browser treats the way back as a navigation from another site (where a
Strict cookie set by a redirect would not come along). axe-core checks the sign-in page with
its provider button and the refusal page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from playwright.sync_api import Browser, Page

from oscp_flow.settings import Settings
from oscp_flow.web.session import COOKIE as SESSION
from states.clock import FakeClock, SystemClock
from states.services.deps import Deps
from tests.support.accessibility import assert_accessible
from tests.support.browser import chromium, follow, serving
from tests.support.oidc_provider import LoopbackProvider, oidc_provider, person
from tests.support.partnership import email
from tests.support.ports import bound, port_of

pytestmark = pytest.mark.slow
USERS = (person("kit", email("coordinator")), person("stranger", "stranger@example.org"))


@pytest.fixture
def site(
    partnership: Deps, clock: FakeClock, tmp_path: Path
) -> Iterator[tuple[str, Browser, LoopbackProvider]]:
    clock.set(SystemClock().now())  # the provider signs its tokens on the real clock
    web = bound()
    base = f"http://127.0.0.1:{port_of(web)}"
    with oidc_provider(USERS, host="localhost") as provider:
        settings = Settings(home=tmp_path, base_url=base, oidc_providers=[provider.entry()])
        with serving(partnership, settings, web), chromium() as browser:
            yield base, browser, provider


def _choose_at_provider(page: Page, sub: str) -> None:
    """At the provider's own page, the person picks who they are."""
    assert page.url.startswith("http://localhost:")
    follow(page, page.get_by_role("button", name=sub, exact=True))


def test_a_coordinator_signs_in_with_their_organisation_and_signs_out(
    site: tuple[str, Browser, LoopbackProvider],
) -> None:
    base, browser, _ = site
    page = browser.new_page()
    page.goto(f"{base}/board")
    assert page.url == f"{base}/signin?next=/board"
    assert_accessible(page, "the sign-in page with a provider")
    follow(page, page.get_by_role("link", name="Sign in with Northvale Council"))
    _choose_at_provider(page, "kit")
    page.wait_for_url(f"{base}/board")
    assert page.get_by_role("heading", name="Programme board").is_visible()
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == SESSION)
    copy = httpx2.Client(base_url=base, cookies={SESSION: cookie})
    assert copy.get("/board", follow_redirects=False).status_code == 200
    follow(page, page.get_by_role("button", name="Sign out"))
    assert page.url == f"{base}/signin?signed_out=1"
    # The copy of the cookie is worth nothing now: the session ended on the server.
    assert copy.get("/board", follow_redirects=False).status_code == 303
    page.goto(f"{base}/board")
    assert "/signin" in page.url


def test_a_stranger_is_refused_with_a_plain_page(
    site: tuple[str, Browser, LoopbackProvider],
) -> None:
    base, browser, _ = site
    page = browser.new_page()
    page.goto(f"{base}/signin")
    follow(page, page.get_by_role("link", name="Sign in with Northvale Council"))
    _choose_at_provider(page, "stranger")
    assert page.get_by_role("heading", name="You cannot sign in here").is_visible()
    assert "ask the partnership's coordinator to add you" in page.inner_text("main")
    assert_accessible(page, "the refusal page")
    assert not any(c["name"] == SESSION for c in page.context.cookies())
    follow(page, page.get_by_role("link", name="Go back to the sign-in page"))
    assert page.url == f"{base}/signin"


def test_the_page_that_moves_on_after_signing_in_is_accessible(
    site: tuple[str, Browser, LoopbackProvider],
) -> None:
    """It moves on at once, so the way on is held back here to let axe read it: a navigation
    answered 204 No Content leaves the browser on the page it was leaving."""
    base, browser, _ = site
    page = browser.new_page()
    page.route(f"{base}/board", lambda route: route.fulfill(status=204))
    page.goto(f"{base}/signin?next=/board")
    follow(page, page.get_by_role("link", name="Sign in with Northvale Council"))
    _choose_at_provider(page, "kit")
    heading = page.get_by_role("heading", name="You are signed in")
    heading.wait_for()
    assert page.get_by_role("link", name="Continue").get_attribute("href") == "/board"
    assert_accessible(page, "the signed-in page")
