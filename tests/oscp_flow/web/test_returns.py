"""Return links: the tool as an accessible form, per-question errors, submit, and an agency's
link reaching only that agency's returns."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from markupsafe import escape

from states.services import returns, work
from states.services.deps import Deps
from tests.oscp_flow.web.support import (
    PAYLOADS,
    answers_form,
    complete_form,
    csrf_of,
    return_link,
    used_at,
)
from tests.support.partnership import agency_name, email


def _post(client: TestClient, token: str, **fields: str) -> tuple[int, str]:
    page = client.get(f"/act/{token}")
    assert page.status_code == 200
    data = {"csrf_token": csrf_of(page.text), "purpose": "return", **fields}
    response = client.post(f"/act/{token}", data=data)
    return response.status_code, response.text


def _read(deps: Deps, reference: str, agency: str, lead: str, case: str | None = None) -> str:
    view = returns.read(deps, audit=reference, actor=email(lead), agency=agency, case=case)
    return view.status


def test_the_tool_is_an_accessible_form(partnership: Deps, client: TestClient) -> None:
    _, token = return_link(partnership, "section_11")
    page = client.get(f"/act/{token}").text
    tool = partnership.catalogue.tool("section_11")
    assert tool is not None
    assert page.count('<fieldset class="section">') == len(tool.sections)
    for section, question in tool.questions():
        field = f"c0-{question.id}"
        assert escape(section.title) in page
        if question.type in ("rating", "yes_no_partly"):
            assert f'<input type="radio" id="{field}" name="q.{question.id}"' in page
        else:
            assert f'<label for="{field}">' in page
    for grade in tool.scales["rag"].grades:
        assert escape(grade.label) in page and escape(grade.guidance) in page
    assert 'value="save"' in page and 'value="submit"' in page
    assert agency_name("police") in page


def test_a_missing_answer_is_shown_beside_its_question_then_a_full_return_submits(
    partnership: Deps, client: TestClient
) -> None:
    reference, token = return_link(partnership, "section_11")
    typed = {"q.leadership_rating": "amber", "q.leadership_improvement": "Typed, not lost"}
    status, page = _post(client, token, intent="submit", **typed)
    assert status == 400
    assert "There is a problem" in page
    assert 'href="#c0-leadership_evidence"' in page
    assert 'id="c0-leadership_evidence-error"' in page
    assert "This question needs an answer" in page
    assert ">Typed, not lost</textarea>" in page
    assert re.search(r'value="amber" checked', page)
    assert _read(partnership, reference, "police", "lead.police") == "not started"

    status, page = _post(client, token, intent="submit", **complete_form(partnership, "section_11"))
    assert status == 200, page
    assert "Return submitted" in page
    assert _read(partnership, reference, "police", "lead.police") == "submitted"
    assert used_at(partnership, token) is not None
    assert client.get(f"/act/{token}").status_code == 409


def test_a_wrong_kind_of_answer_is_refused_and_a_draft_is_saved(
    partnership: Deps, client: TestClient
) -> None:
    reference, token = return_link(partnership, "section_11")
    status, page = _post(client, token, intent="save", **{"q.leadership_rating": "purple"})
    assert status == 400 and 'id="c0-leadership_rating-error"' in page
    status, page = _post(client, token, intent="save", **{"q.leadership_evidence": "Board minutes"})
    assert status == 200 and "Your draft is saved" in page
    assert ">Board minutes</textarea>" in page
    assert _read(partnership, reference, "police", "lead.police") == "draft"


def test_forged_agency_and_case_fields_are_ignored(partnership: Deps, client: TestClient) -> None:
    reference, token = return_link(partnership, "section_11")
    page = client.get(f"/act/{token}?agency=csc&case=X").text
    assert agency_name("police") in page and agency_name("csc") not in page
    status, _ = _post(
        client, token, intent="save", agency="csc", case="X", **{"q.leadership_evidence": "Ours"}
    )
    assert status == 200
    police = returns.read(partnership, audit=reference, actor=email("lead.police"), agency="police")
    assert police.answers == {"leadership_evidence": "Ours"}
    assert _read(partnership, reference, "csc", "lead.csc") == "not started"


def test_per_case_returns_reach_only_the_agencys_own_cases(
    partnership: Deps, client: TestClient
) -> None:
    reference, token = return_link(partnership, "mace")
    work.add_case(
        partnership,
        audit=reference,
        actor=email("coordinator"),
        reference=f"{reference}-C99",
        first_intervention_on=date(2025, 6, 1),
        last_intervention_on=date(2026, 1, 5),
        agencies=["csc"],
    )
    page = client.get(f"/act/{token}").text
    ours = [f"{reference}-C0{n}" for n in (1, 2, 3)]
    assert all(f'name="case" value="{case}"' in page for case in ours)
    assert f"{reference}-C99" not in page

    first = {"q.lived_experience_good_practice": "Police part only", "agency": "csc"}
    assert _post(client, token, intent="save", case=ours[0], **first)[0] == 200
    saved = returns.read(
        partnership, audit=reference, actor=email("lead.police"), agency="police", case=ours[0]
    )
    assert saved.status == "draft"
    assert _read(partnership, reference, "csc", "lead.csc", ours[0]) == "not started"

    for forged in (f"{reference}-C99", "NOT-A-CASE", ""):
        status, text = _post(client, token, intent="save", case=forged, **first)
        assert status == 404, forged
        assert "does not reach that return" in text
    assert _read(partnership, reference, "csc", "lead.csc", f"{reference}-C99") == "not started"


def test_submitting_one_case_leaves_the_others_open(partnership: Deps, client: TestClient) -> None:
    reference, token = return_link(partnership, "mace")
    case = f"{reference}-C01"
    status, page = _post(
        client, token, intent="submit", case=case, **complete_form(partnership, "mace")
    )
    assert status == 200, page
    assert "2 returns still to complete" in page
    assert page.count('name="intent" value="submit"') == 2
    assert "This return is submitted and locked" in page
    assert used_at(partnership, token) is None


def test_typed_injection_comes_back_as_text(partnership: Deps, client: TestClient) -> None:
    _, token = return_link(partnership, "section_11")
    tool = partnership.catalogue.tool("section_11")
    assert tool is not None
    free = [q.id for _, q in tool.questions() if q.type in ("free_text", "evidence_reference")]
    typed = {q: PAYLOADS[n % len(PAYLOADS)] for n, q in enumerate(free)}
    status, _ = _post(client, token, intent="save", **answers_form(typed))
    assert status == 200
    page = client.get(f"/act/{token}").text
    _assert_escaped(page)
    # And in a re-shown form after an error, before anything is stored.
    status, page = _post(
        client, token, intent="submit", **answers_form({**typed, "leadership_rating": "purple"})
    )
    assert status == 400
    _assert_escaped(page)


def _assert_escaped(page: str) -> None:
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "{{7*7}}" in page
    assert "{% raw %}kept{% endraw %}" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
