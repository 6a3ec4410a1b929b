"""Sign-off by e-mailed link: members read the frozen report on the page (and its PDF, behind
the same link) above the decision, and after a refusal what changed since the version they
refused; scanners change nothing, members decide by POST with a form token, a replay is
refused and recorded, and a refusal needs a comment."""

from __future__ import annotations

from datetime import timedelta
from itertools import cycle
from pathlib import Path

from fastapi.testclient import TestClient
from markupsafe import escape

from notifications.render import london_day
from oscp_flow.web.security import CONTENT_SECURITY_POLICY
from states.clock import FakeClock
from states.services import report_store
from states.services.deps import Deps
from states.services.report_store import StoredReport
from tests.oscp_flow.web.support import (
    REPLACED,
    REWRITTEN,
    csrf_of,
    history,
    resubmitted_links,
    sign_off_links,
    state,
    token_events,
    used_at,
)
from tests.support.partnership import person_name
from tests.support.reporting import pdf_text

SCANNERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Microsoft Outlook SafeLinks",
    "Mimecast URL Protect/1.0",
    "Proofpoint URL Defense",
    "Mozilla/5.0 (compatible; Barracuda Sentinel)",
    "Mozilla/5.0 (compatible; BingPreview/1.0b)",
    "Microsoft Office Existence Discovery",
)


def _decide(client: TestClient, token: str, **fields: str) -> tuple[int, str]:
    page = client.get(f"/act/{token}")
    assert page.status_code == 200
    response = client.post(
        f"/act/{token}", data={"csrf_token": csrf_of(page.text), "purpose": "sign_off", **fields}
    )
    return response.status_code, response.text


def test_mail_scanners_opening_a_link_change_nothing(partnership: Deps, client: TestClient) -> None:
    reference, minted = sign_off_links(partnership)
    token = minted["lhm"]
    before = history(partnership, reference)
    agents = cycle(SCANNERS)
    for _ in range(100):
        assert client.get(f"/act/{token}", headers={"User-Agent": next(agents)}).status_code == 200
        assert client.head(f"/act/{token}", headers={"User-Agent": next(agents)}).status_code == 200
    assert history(partnership, reference) == before
    assert used_at(partnership, token) is None
    assert token_events(partnership) == 0


def test_the_page_says_what_approving_means(partnership: Deps, client: TestClient) -> None:
    reference, minted = sign_off_links(partnership)
    page = client.get(f"/act/{minted['lhm']}").text
    for shown in (
        reference,
        "Rehearsal",
        "Awaiting sign-off",
        "What approving means",
        person_name("lhm"),
    ):
        assert shown in page
    assert 'name="decision" value="approve"' in page
    assert 'name="decision" value="refuse"' in page
    assert '<label for="comment">' in page


def test_both_bodies_sign_off_the_audit(partnership: Deps, client: TestClient) -> None:
    reference, minted = sign_off_links(partnership)
    page = client.get(f"/act/{minted['lhm']}").text
    assert (
        "signed off once one member of the learning hub and two members of the statutory partners"
    ) in " ".join(page.split())
    status, text = _decide(client, minted["lhm"], decision="approve")
    assert status == 200 and "Your approval is recorded" in text
    # The learning hub has approved; one statutory partner is not two.
    status, text = _decide(client, minted["lsp.police"], decision="approve")
    assert status == 200 and "Your approval is recorded" in text
    assert state(partnership, reference) == "awaiting_sign_off"
    status, text = _decide(client, minted["lsp.council"], decision="approve")
    assert status == 200 and "the audit is signed off" in text
    assert history(partnership, reference)[-1] == ("sign_off", "actions_agreed")
    assert used_at(partnership, minted["lhm"]) is not None


def test_a_replayed_decision_is_refused_and_recorded(partnership: Deps, client: TestClient) -> None:
    reference, minted = sign_off_links(partnership)
    token = minted["lhm"]
    form = {
        "csrf_token": csrf_of(client.get(f"/act/{token}").text),
        "purpose": "sign_off",
        "decision": "approve",
    }
    assert client.post(f"/act/{token}", data=form).status_code == 200
    replay = client.post(f"/act/{token}", data=form)
    assert replay.status_code == 409
    assert "Contact the audit's coordinator" in replay.text
    assert token_events(partnership, "replayed") == 1
    assert [t for t, _ in history(partnership, reference)].count("record_approve") == 1


def test_a_refusal_needs_a_comment_and_then_asks_for_further_assurance(
    partnership: Deps, client: TestClient
) -> None:
    reference, minted = sign_off_links(partnership)
    token = minted["lsp.health"]
    status, text = _decide(client, token, decision="refuse", comment="   ")
    assert status == 400
    assert 'id="comment-error"' in text and 'href="#comment"' in text
    assert "Say what further assurance you need" in text
    assert used_at(partnership, token) is None
    assert state(partnership, reference) == "awaiting_sign_off"

    status, text = _decide(client, token, decision="refuse", comment="Evidence the health response")
    assert status == 200 and "Your refusal and comment are recorded" in text
    assert history(partnership, reference)[-1] == (
        "request_further_assurance",
        "further_assurance_requested",
    )


def test_a_decision_must_be_chosen_and_what_was_typed_is_kept(
    partnership: Deps, client: TestClient
) -> None:
    _, minted = sign_off_links(partnership)
    status, text = _decide(client, minted["lhm"], decision="maybe", comment="Typed words")
    assert status == 400
    assert 'id="decision-error"' in text
    assert ">Typed words</textarea>" in text


def test_an_expired_link_is_gone(partnership: Deps, client: TestClient, clock: FakeClock) -> None:
    _, minted = sign_off_links(partnership)
    token = minted["lhm"]
    form = {"csrf_token": csrf_of(client.get(f"/act/{token}").text), "purpose": "sign_off"}
    clock.advance(timedelta(days=30))
    page = client.get(f"/act/{token}")
    assert page.status_code == 410 and "expired" in page.text
    posted = client.post(f"/act/{token}", data={**form, "decision": "approve"})
    assert posted.status_code == 410
    assert used_at(partnership, token) is None


def test_a_link_moved_on_from_says_what_happened(partnership: Deps, client: TestClient) -> None:
    _, minted = sign_off_links(partnership)
    for member in ("lhm", "lsp.police", "lsp.council"):
        _decide(client, minted[member], decision="approve")
    late = client.get(f"/act/{minted['lsp.health']}")
    assert late.status_code == 410 and "was signed off on" in late.text
    assert "You approved" not in late.text
    mine = client.get(f"/act/{minted['lhm']}")
    assert mine.status_code == 200
    assert "You approved this on" in mine.text and "was signed off on" in mine.text


def test_a_link_sent_back_says_so(partnership: Deps, client: TestClient) -> None:
    _, minted = sign_off_links(partnership)
    _decide(client, minted["lhm"], decision="approve")
    _decide(client, minted["lsp.health"], decision="refuse", comment="Evidence the resourcing")
    waiting = client.get(f"/act/{minted['lsp.police']}")
    assert waiting.status_code == 410
    assert "sent back to the chair for further assurance on" in waiting.text
    refused = client.get(f"/act/{minted['lsp.health']}")
    assert refused.status_code == 200 and "You refused this on" in refused.text
    # Never anyone's comment, on any of these pages.
    assert "Evidence the resourcing" not in waiting.text + refused.text


def test_a_form_left_open_after_the_round_ended_is_not_told_to_reload(
    partnership: Deps, client: TestClient
) -> None:
    _, minted = sign_off_links(partnership)
    token = minted["lsp.health"]
    form = {"csrf_token": csrf_of(client.get(f"/act/{token}").text), "purpose": "sign_off"}
    for member in ("lhm", "lsp.police", "lsp.council"):
        _decide(client, minted[member], decision="approve")
    client.cookies.clear()  # the form's cookie is gone (or too old), as after a night away
    late = client.post(f"/act/{token}", data={**form, "decision": "approve"})
    assert late.status_code == 410 and "was signed off on" in late.text
    assert "reload" not in late.text.lower()


def test_opening_the_link_again_keeps_the_first_form_working(
    partnership: Deps, client: TestClient
) -> None:
    _, minted = sign_off_links(partnership)
    token = minted["lhm"]
    first = csrf_of(client.get(f"/act/{token}").text)
    second = client.get(f"/act/{token}")  # a second tab, or the e-mail clicked twice
    assert "set-cookie" not in second.headers
    assert csrf_of(second.text) == first
    form = {"csrf_token": first, "purpose": "sign_off", "decision": "approve"}
    assert client.post(f"/act/{token}", data=form).status_code == 200


def _altered(value: str) -> str:
    return value[:-1] + ("1" if value.endswith("0") else "0")


def test_a_post_without_the_form_token_changes_nothing(
    partnership: Deps, client: TestClient
) -> None:
    reference, minted = sign_off_links(partnership)
    token = minted["lhm"]
    before = history(partnership, reference)
    good = csrf_of(client.get(f"/act/{token}").text)
    attempts = (
        {"purpose": "sign_off", "decision": "approve"},
        {"csrf_token": "", "purpose": "sign_off", "decision": "approve"},
        {"csrf_token": _altered(good), "purpose": "sign_off", "decision": "approve"},
    )
    for data in attempts:
        refused = client.post(f"/act/{token}", data=data)
        assert refused.status_code == 403
        assert "Nothing was recorded" in refused.text
    # The right form token from a browser without the cookie (another site's form).
    client.cookies.clear()
    refused = client.post(
        f"/act/{token}", data={"csrf_token": good, "purpose": "sign_off", "decision": "approve"}
    )
    assert refused.status_code == 403
    assert history(partnership, reference) == before
    assert used_at(partnership, token) is None


# --- the frozen report on the page ----------------------------------------------------------


def _frozen(deps: Deps, reference: str) -> StoredReport:
    found = report_store.latest(deps, audit=reference)
    assert found is not None and found.content_hash is not None
    return found


def test_the_page_shows_the_frozen_report_above_the_decision(
    partnership: Deps, client: TestClient
) -> None:
    reference, minted = sign_off_links(partnership)
    frozen = _frozen(partnership, reference)
    page = client.get(f"/act/{minted['lhm']}").text
    report_at = page.index('<article class="frozen-report"')
    assert report_at < page.index("<form")
    for shown in (
        "The summary report, version 1",
        "<h3>Summary report: Rehearsal</h3>",
        "<h4>What is working well</h4>",
        "<h4>Reflection on the audit process</h4>",
        "Other children in the household were not always considered.",
        "<h4>The quantitative picture</h4>",
        f'<code class="hash">{frozen.content_hash}</code>',
        f'href="/act/{minted["lhm"]}/report.pdf"',
    ):
        assert shown in page, shown
    # Nothing about the version before: this is the first.
    assert "What changed since" not in page
    # The page keeps its own policy: the report brings no inline style or script.
    assert client.get(f"/act/{minted['lhm']}").headers["content-security-policy"] == (
        CONTENT_SECURITY_POLICY
    )
    assert "<style" not in page and "<script" not in page and 'style="' not in page


def test_the_pdf_is_the_frozen_version_behind_the_same_link(
    partnership: Deps, client: TestClient, clock: FakeClock, tmp_path: Path
) -> None:
    reference, minted = sign_off_links(partnership)
    token = minted["lhm"]
    before = history(partnership, reference)
    clock.advance(timedelta(days=2))  # read later: still the version and day frozen
    pdf = client.get(f"/act/{token}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="{reference}-summary-report-v1.pdf"'
    )
    words = pdf_text(pdf.content, tmp_path)
    frozen = _frozen(partnership, reference)
    assert frozen.frozen_at is not None
    assert f"version 1, dated {london_day(frozen.frozen_at)}" in words
    assert "Other children in the household were not always considered." in words
    assert client.head(f"/act/{token}/report.pdf").status_code == 200
    assert history(partnership, reference) == before and used_at(partnership, token) is None

    # No decision, no report: a forged link, a used one, an expired one.
    assert client.get(f"/act/{'x' * 43}/report.pdf").status_code == 404
    _decide(client, token, decision="approve")
    assert client.get(f"/act/{token}/report.pdf").status_code in (409, 410)
    clock.advance(timedelta(days=30))
    assert client.get(f"/act/{minted['lsp.police']}/report.pdf").status_code == 410


def test_after_a_refusal_members_see_what_changed_since_the_version_they_refused(
    partnership: Deps, client: TestClient
) -> None:
    reference, minted = resubmitted_links(partnership)
    frozen = _frozen(partnership, reference)
    assert frozen.version == 2
    page = client.get(f"/act/{minted['lsp.health']}").text
    changes_at = page.index('<section class="changes"')
    assert changes_at < page.index('<article class="frozen-report"') < page.index("<form")
    changes = page[changes_at : page.index("</section>", changes_at)]
    assert "What changed since version 1" in changes
    assert f'<strong class="diff-tag">Removed:</strong> <del>{escape(REPLACED)}</del>' in changes
    assert f'<strong class="diff-tag">Added:</strong> <ins>{escape(REWRITTEN)}</ins>' in changes
    assert changes.count("No change.") == 3  # every other section, each said to be unchanged
    assert "The summary report, version 2" in page
    assert f'<code class="hash">{frozen.content_hash}</code>' in page
    assert f"<li>{escape(REWRITTEN[2:])}</li>" in page[page.index("<article") :]
