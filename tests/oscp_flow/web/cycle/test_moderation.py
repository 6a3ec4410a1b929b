"""The moderation page (issue 17, item 5): the chair and the audit's auditors read the findings
fifty at a time, grouped by section and agency with the answers they came from, filter them by
section, agency or what is left, confirm a finding as rated or change a rating with a
rationale, or confirm all those shown in one step. A refusal is the engine's sentence beside
that finding's form with what was typed kept; anyone who moderates no findings is refused
(403); no one signed out gets in."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from states.services import findings
from states.services.deps import Deps
from states.services.finding_views import FindingFilter, FindingView
from tests.oscp_flow.web.support import csrf_of
from tests.support.driver import drive
from tests.support.partnership import agency_name, email, give_passwords, person_name
from tests.support.web import PASSWORD, sign_in

TOTAL = 225  # drive(..., "mace", "moderation"): 3 cases x 3 agencies x 25 findings
# The page the test's findings are on: the police's timeliness findings.
VIEW = {"section": "timeliness", "agency": "police", "page": "1"}
RATIONALE = "The records show a four-week delay before the strategy discussion."


@pytest.fixture
def reference(partnership: Deps) -> str:
    give_passwords(partnership, PASSWORD, people=("chair",))
    return drive(partnership, "mace", "moderation").reference


def _text(response: Response) -> str:
    """The page's text as read: tags dropped, entities decoded, whitespace folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def _page(client: TestClient, reference: str, query: str = "") -> Response:
    return client.get(f"/audits/{reference}/moderation{query}")


def _post(client: TestClient, reference: str, verb: str, form: Mapping[str, object]) -> Response:
    token = csrf_of(_page(client, reference).text)
    return client.post(
        f"/audits/{reference}/do/{verb}",
        data={"csrf_token": token, **form},
        follow_redirects=False,
    )


def _finding(deps: Deps, reference: str, kind: str, n: int = 0) -> FindingView:
    shown = FindingFilter(section="timeliness", agency="police")
    return [
        f
        for f in findings.list_findings(deps, audit=reference, actor=email("chair"), shown=shown)
        if f.kind == kind
    ][n]


def _now(deps: Deps, reference: str, finding: int) -> FindingView:
    return next(f for f in findings.list_findings(deps, audit=reference) if f.id == finding)


def test_the_findings_a_page_at_a_time_grouped_with_progress(
    partnership: Deps, client: TestClient, reference: str
) -> None:
    sign_in(client, email("chair"))
    first = _page(client, reference)
    assert first.status_code == 200
    text = _text(first)
    assert f"0 of {TOTAL} findings moderated" in text
    assert f"Findings 1 to 50 of {TOTAL}" in text
    assert f"The child's lived experience and voice: {agency_name('csc')}" in text
    assert "Confirm all shown as rated" in text
    assert first.text.count('<section class="finding"') == 50
    assert 'aria-current="page"' in first.text and "?page=5" in first.text
    last = _page(client, reference, "?page=5")
    assert f"Findings 201 to {TOTAL} of {TOTAL}" in _text(last)

    narrowed = _page(client, reference, "?section=timeliness&agency=police")
    assert "Findings 1 to 9 of 9" in _text(narrowed)
    assert narrowed.text.count('<section class="finding"') == 9
    assert '<option value="police" selected>' in narrowed.text
    wrong = _page(client, reference, "?section=nowhere")
    assert wrong.status_code == 400
    assert "'nowhere' is not a section of this audit's tool" in _text(wrong)


def test_an_auditor_confirms_one_and_changes_another_with_a_rationale(
    partnership: Deps, client: TestClient, reference: str
) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD, people=("auditor.one",))
    sign_in(client, email("auditor.one"))
    strength, rating = _finding(deps, reference, "strength"), _finding(deps, reference, "rating")
    view = VIEW

    done = _post(
        client, reference, "moderate", {"finding": strength.id, "decision": "confirm", **view}
    )
    assert done.status_code == 303
    assert done.headers["location"] == (
        f"/audits/{reference}/moderation?section=timeliness&agency=police&done=confirmed"
        f"&finding={strength.id}#finding-{strength.id}"
    )
    assert _now(deps, reference, strength.id).moderated
    assert "You confirmed this finding as rated." in _text(client.get(done.headers["location"]))

    changed = _post(
        client,
        reference,
        "moderate",
        {
            "finding": rating.id,
            "decision": "change",
            "rating": "requires_improvement",
            "rationale": RATIONALE,
            **view,
        },
    )
    assert changed.status_code == 303
    assert _now(deps, reference, rating.id).moderated_rating == "requires_improvement"
    after = _text(client.get(changed.headers["location"]))
    assert "You changed this rating" in after
    assert f"Changed to Requires improvement by {person_name('auditor.one')}" in after
    assert RATIONALE in after and f"2 of {TOTAL} findings moderated" in after


def test_a_change_without_a_rationale_comes_back_beside_its_finding(
    partnership: Deps, client: TestClient, reference: str
) -> None:
    deps = partnership
    sign_in(client, email("chair"))
    rating = _finding(deps, reference, "rating")
    refused = _post(
        client,
        reference,
        "moderate",
        {
            "finding": rating.id,
            "decision": "change",
            "rating": "inadequate",
            "rationale": " ",
            **VIEW,
        },
    )
    assert refused.status_code == 400
    assert "Give the rationale for changing a rating at moderation." in _text(refused)
    assert f'href="#rationale-{rating.id}"' in refused.text  # the error summary's link
    assert f'id="rationale-{rating.id}-error"' in refused.text
    assert re.search(
        rf'id="rating-{rating.id}-4" name="rating" value="inadequate" checked', refused.text
    )
    assert "<title>Error:" in refused.text
    assert not _now(deps, reference, rating.id).moderated


def test_confirm_all_shown_confirms_the_page_and_no_other(
    partnership: Deps, client: TestClient, reference: str
) -> None:
    deps = partnership
    sign_in(client, email("chair"))
    page = _page(client, reference, "?unmoderated=1")
    ids = re.findall(
        r'<input type="hidden" name="finding" value="(\d+)">\s*(?=<input|<div)', page.text
    )
    waiting = sorted({int(i) for i in re.findall(r'name="finding" value="(\d+)"', page.text)})
    assert len(waiting) == 50 and ids
    done = client.post(
        f"/audits/{reference}/do/confirm-all",
        data={"csrf_token": csrf_of(page.text), "unmoderated": "1", "finding": waiting},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == (
        f"/audits/{reference}/moderation?unmoderated=1&done=all&count=50&kept=0"
    )
    moderated = [f.id for f in findings.list_findings(deps, audit=reference) if f.moderated]
    assert sorted(moderated) == waiting
    after = _text(client.get(done.headers["location"]))
    assert "50 findings confirmed as rated." in after and f"50 of {TOTAL}" in after
    assert f"Findings 1 to 50 of {TOTAL - 50}" in after


def test_once_moderation_is_over_the_page_shows_it_and_a_late_form_is_refused(
    partnership: Deps, client: TestClient
) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD, people=("chair",))
    reference = drive(deps, "mace", "report_drafting").reference
    sign_in(client, email("chair"))
    page = _page(client, reference)
    assert "Moderation is not open" in _text(page)
    assert f"{TOTAL} of {TOTAL} findings moderated" in _text(page)
    assert "Confirm as rated" not in page.text and "Confirm all shown" not in page.text
    rating = _finding(deps, reference, "rating")
    refused = _post(
        client,
        reference,
        "moderate",
        {
            "finding": rating.id,
            "decision": "change",
            "rating": "good",
            "rationale": RATIONALE,
            **VIEW,
        },
    )
    assert refused.status_code == 400
    assert f"Audit {reference} is not at moderation" in _text(refused)
    assert RATIONALE in refused.text  # kept, beside the finding's form shown again
    assert f'href="#change-{rating.id}"' in refused.text


def test_only_those_who_moderate_and_only_signed_in(
    partnership: Deps, client: TestClient, reference: str
) -> None:
    give_passwords(partnership, PASSWORD, people=("lhm", "coordinator"))
    rating = _finding(partnership, reference, "rating")
    away = client.get(f"/audits/{reference}/moderation", follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"] == f"/signin?next=/audits/{reference}/moderation"
    sign_in(client, email("chair"))
    token = csrf_of(_page(client, reference).text)
    for who in ("lhm", "coordinator"):
        sign_in(client, email(who))
        assert _page(client, reference).status_code == 403
        posted = client.post(
            f"/audits/{reference}/do/moderate",
            data={"csrf_token": token, "finding": rating.id, "decision": "confirm"},
            follow_redirects=False,
        )
        assert posted.status_code == 403
    assert not _now(partnership, reference, rating.id).moderated
