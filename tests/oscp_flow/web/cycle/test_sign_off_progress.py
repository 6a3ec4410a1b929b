"""Sign-off progress in the browser (issue 17 item 8): each body the audit's sign-off names,
its members and what each decided when, its quorum met or not; comments to the chair and
coordinators only."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from states.services import work
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords, person_name
from tests.support.web import PASSWORD, sign_in

COMMENT = "Please evidence how the recommendations will be resourced."


def _text(page: str) -> str:
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def _mid_sign_off(deps: Deps) -> str:
    reference = drive(deps, "mace", "awaiting_sign_off").reference
    work.record_sign_off_decision(deps, audit=reference, actor=email("lhm"), decision="approve")
    work.record_sign_off_decision(
        deps, audit=reference, actor=email("lsp.police"), decision="approve", comment=COMMENT
    )
    return reference


def test_each_body_with_its_members_and_quorum(partnership: Deps, client: TestClient) -> None:
    ref = _mid_sign_off(partnership)
    give_passwords(partnership, PASSWORD, people=("coordinator",))
    sign_in(client, email("coordinator"))
    page = client.get(f"/audits/{ref}/sign-off")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Round 1 (waiting on decisions now)" in text
    hub = text.split("The learning hub (Northvale Learning Hub)")[1].split("The statutory")[0]
    assert "Quorum met. 1 approval needed; 1 approved, 0 refused in round 1." in hub
    assert f"{person_name('lhm')} Approved" in hub
    assert f"{person_name('chair')} The report's author: their decision does not count" in hub
    partners = text.split("The statutory partners (Northvale Safeguarding Partners)")[1]
    assert "Quorum not met yet. 2 approvals needed; 1 approved, 0 refused" in partners
    assert f"{person_name('lsp.council')} Not decided" in partners
    assert COMMENT in partners, "the coordinator reads the comments"
    assert "1 of the 2 approvals needed from the statutory partners have been given" in text


def test_comments_are_the_organisers_only(partnership: Deps, client: TestClient) -> None:
    ref = _mid_sign_off(partnership)
    give_passwords(partnership, PASSWORD, people=("lhm",))
    sign_in(client, email("lhm"))
    page = client.get(f"/audits/{ref}/sign-off").text
    assert COMMENT not in page
    assert "Comments are shown to the audit's chair and coordinators only." in html.unescape(page)
