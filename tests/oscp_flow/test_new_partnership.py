"""A new partnership, end to end, from an empty home and through supported commands only:
``oscp init``, its directory imported from a workbook (dry run first), the programme loaded,
a Section 175 for every setting, a Section 11 for every agency and a MACE started and moved on
as a coordinator, a chair and two auditors type it, the outbox sent to a real SMTP server:
each setting's and agency's lead is asked, and the coordinators are told which settings have
no lead to ask; then a person is deactivated and their e-mailed link and their signed-in
session are refused.

No demo: nothing here imports the demo, the walkthrough or the showcase. The names are
invented ("Setting 017") and no message carries a case reference, let alone a child's details.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from oscp_flow.cli import app
from oscp_flow.excel.directory_writer import directory_workbook
from oscp_flow.settings import Settings
from oscp_flow.web import WebConfig, create_app
from oscp_flow.wiring import build
from tests.oscp_flow.web.support import csrf_of
from tests.support.northdale import (
    BASE,
    CHAIR,
    COORDINATOR,
    DOMAIN,
    PASSWORD,
    SETTING_LEADS,
    STORES,
    database,
    directory,
)
from tests.support.smtp import Recorder, smtp_server
from tests.support.terms import terms_options

# Also a coordinator, so one person holds both an e-mailed link and a signed-in session.
LEAVER = f"lead.a01@{DOMAIN}"
REFERENCE = re.compile(r"AUD-[0-9A-Z]{8}")
LINK = re.compile(re.escape(BASE) + r"/act/[A-Za-z0-9_-]+")
CASES = ("NDC-2026-0001", "NDC-2026-0002")


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None: SQLite in the new home; otherwise an empty PostgreSQL schema of its own."""
    with database(request.param, request) as url:
        yield url


class Oscp:
    """The ``oscp`` command in this process, on the new home, as the person typing it."""

    def __init__(self, home: Path) -> None:
        self.env = {"OSCP_HOME": str(home), "OSCP_INIT_PASSWORD": PASSWORD, "OSCP_ACTOR": ""}

    def __call__(self, *args: str, code: int = 0, given: str | None = None) -> str:
        result = CliRunner().invoke(app, list(args), env=self.env, input=given)
        assert result.exit_code == code, result.output
        return result.output


def _init(oscp: Oscp, port: int, database_url: str | None) -> None:
    extra = ["--database-url", database_url] if database_url else []
    oscp(
        "init",
        "--yes",
        "--partnership",
        "Northdale Safeguarding Children Partnership",
        "--mail-from",
        f"Learning hub <hub@{DOMAIN}>",
        "--mail-domain",
        DOMAIN,
        "--base-url",
        f"{BASE}/",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(port),
        "--smtp-tls",
        "none",
        "--coordinator-name",
        "Pat Fenwick",
        "--coordinator-email",
        COORDINATOR,
        *extra,
    )


def _reference(output: str) -> str:
    found = REFERENCE.search(output)
    assert found is not None
    return found[0]


def _start(oscp: Oscp, *args: str) -> str:
    return _reference(oscp(*args, "--as", COORDINATOR))


def _requests(received: list[EmailMessage]) -> Counter[str]:
    """Return requests by recipient, as the SMTP server received them."""
    return Counter(
        str(m["To"]).split("<")[-1].rstrip(">").lower()
        for m in received
        if str(m["Subject"]).startswith("Action needed by")
    )


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_a_new_partnership_sets_itself_up_and_sends_its_requests(
    tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    oscp = Oscp(home)
    recorder = Recorder()
    with smtp_server(recorder) as port:
        _init(oscp, port, database_url)
        empty = oscp("audit", "list")
        assert "import your directory" in empty and "oscp programme load" in empty

        book = tmp_path / "northdale.xlsx"
        book.write_bytes(directory_workbook(directory()))
        dry = oscp("directory", "import", str(book), "--dry-run", "--as", COORDINATOR)
        assert "Dry run: nothing was stored" in dry
        assert "Lead S040" not in oscp("directory", "show", "--as", COORDINATOR)
        oscp("directory", "import", str(book), "--reason", "Our directory", "--as", COORDINATOR)
        shown = oscp(
            "directory",
            "show",
            "--part",
            "settings",
            "--search",
            "Setting 090",
            "--as",
            COORDINATOR,
        )
        assert "Setting 090" in shown
        oscp("programme", "load")
        assert "import your directory" not in oscp("programme", "show")

        settings = [f"s{n:03d}" for n in range(1, 91)]
        agencies = [f"a{n:02d}" for n in range(1, 13)]
        started = oscp(
            "audit",
            "start",
            "section_175",
            "--theme",
            "Safeguarding in education 2026",
            "--lead",
            CHAIR,
            *_each("--agency", settings),
            "--as",
            COORDINATOR,
        )
        s175 = _reference(started)
        # The 50 settings with no lead are named at the start, and only they.
        assert started.count("has no active agency lead") == 90 - SETTING_LEADS
        assert "Setting 041 has no active agency lead" in started
        assert "Setting 040 has no" not in started
        for trigger in ("issue_tool", "open_returns"):
            oscp("audit", "fire", s175, trigger, "--as", COORDINATOR)
        s11 = _start(
            oscp,
            "audit",
            "start",
            "section_11",
            "--theme",
            "Section 11 2026",
            "--lead",
            CHAIR,
            *_each("--agency", agencies),
        )
        oscp("audit", "terms", s11, *terms_options(), "--as", COORDINATOR)
        for trigger in ("agree_terms_of_reference", "issue_tool", "open_returns"):
            oscp("audit", "fire", s11, trigger, "--as", COORDINATOR)
        mace = _mace(oscp, tmp_path, agencies)

        sent = oscp("outbox", "send", "--batch", "1000")
        assert "failed 0" in sent, sent

    requests = _requests(recorder.received)
    setting_leads = {f"lead.s{n:03d}@{DOMAIN}" for n in range(1, SETTING_LEADS + 1)}
    agency_leads = {f"lead.a{n:02d}@{DOMAIN}" for n in range(1, 13)}
    in_the_cases = {f"lead.a{n:02d}@{DOMAIN}" for n in (1, 2)}
    assert {who: requests[who] for who in setting_leads} == dict.fromkeys(setting_leads, 1)
    # Every agency lead by the Section 11; the two agencies the MACE's cases name by it too.
    assert {who: requests[who] for who in agency_leads} == {
        who: 2 if who in in_the_cases else 1 for who in agency_leads
    }
    assert set(requests) == setting_leads | agency_leads  # nobody else was asked for a return
    mace_requests = {
        str(m["To"]).split("<")[-1].rstrip(">")
        for m in recorder.received
        if mace in str(m["Subject"]) and str(m["Subject"]).startswith("Action needed by")
    }
    assert mace_requests == in_the_cases
    for message in recorder.received:
        text = _text(message)
        assert not any(case in text or case in str(message["Subject"]) for case in CASES)
    _coordinators_are_told_who_was_not_asked(recorder.received, s175)
    _leaver_is_refused(oscp, home, recorder, monkeypatch)


def _coordinators_are_told_who_was_not_asked(received: list[EmailMessage], s175: str) -> None:
    """Settings without a lead are not asked in silence: each coordinator hears once, by
    name, which settings nobody was asked for."""
    told = [m for m in received if str(m["Subject"]).startswith("Returns nobody was asked for")]
    assert sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in told) == sorted(
        [COORDINATOR, LEAVER]
    )
    for message in told:
        assert s175 in str(message["Subject"])
        text = " ".join(_text(message).split())
        assert all(f"Setting {n:03d}" in text for n in range(SETTING_LEADS + 1, 91))
        assert f"Setting {SETTING_LEADS:03d}" not in text


def _each(option: str, values: list[str]) -> list[str]:
    return [part for value in values for part in (option, value)]


def _mace(oscp: Oscp, folder: Path, agencies: list[str]) -> str:
    """As a coordinator, a chair and two auditors type it: terms, the sample, an auditor on
    each case who declares no involvement, then the returns open and the agencies named in
    the cases are asked."""
    mace = _start(
        oscp,
        "programme",
        "start",
        "domestic-abuse-mace",
        "--lead",
        CHAIR,
        *_each("--agency", agencies),
    )
    oscp("audit", "terms", mace, *terms_options(), "--as", COORDINATOR)
    oscp("audit", "fire", mace, "agree_terms_of_reference", "--as", COORDINATOR)
    cases = folder / "cases.csv"
    cases.write_text(
        "reference,agencies,first_intervention_on,last_intervention_on\n"
        + "".join(
            f"{case},a01;a02,2025-06-01,2026-{n + 1:02d}-01\n" for n, case in enumerate(CASES)
        )
    )
    oscp("audit", "sample", mace, str(cases), "--as", COORDINATOR)
    oscp("audit", "fire", mace, "select_sample", "--as", COORDINATOR)
    blocked = oscp("audit", "fire", mace, "confirm_auditors", "--as", COORDINATOR, code=1)
    assert "no auditor yet" in blocked
    auditors = {case: f"auditor{n}@{DOMAIN}" for n, case in enumerate(CASES, start=1)}
    for case, auditor in auditors.items():
        oscp("audit", "auditors", "assign", mace, case, auditor, "--as", CHAIR)
    waiting = oscp("audit", "fire", mace, "confirm_auditors", "--as", CHAIR, code=1)
    assert "declar" in waiting, waiting  # assigned, but no auditor has declared yet
    for case, auditor in auditors.items():
        oscp("audit", "auditors", "declare", mace, case, "none", "--as", auditor)
    listed = oscp("audit", "auditors", "list", mace)
    assert "no auditor yet" not in listed and "declaration awaited" not in listed
    for trigger in ("confirm_auditors", "open_returns"):
        oscp("audit", "fire", mace, trigger, "--as", COORDINATOR)
    return mace


def _leaver_is_refused(
    oscp: Oscp, home: Path, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The council's lead, who is also a coordinator, leaves: the return link in their e-mail
    and their signed-in session both stop working at once."""
    links = [LINK.search(_text(m)) for m in recorder.received if LEAVER in str(m["To"])]
    link = next(found[0] for found in links if found is not None)
    oscp("user", "password", LEAVER, given=f"{PASSWORD}\n{PASSWORD}\n")
    monkeypatch.setenv("OSCP_HOME", str(home))
    settings = Settings()
    config = WebConfig(csrf_secret=SecretStr("not-for-production"), rate_limit_enabled=False)
    with TestClient(create_app(build(settings), settings, config), base_url=BASE) as web:
        assert web.get(link).status_code == 200
        form = {
            "csrf_token": csrf_of(web.get("/signin").text),
            "email": LEAVER,
            "password": PASSWORD,
        }
        assert web.post("/signin", data=form, follow_redirects=False).status_code == 303
        assert web.get("/board").status_code == 200
        oscp(
            "directory",
            "deactivate",
            "person",
            LEAVER,
            "--reason",
            "Left the council",
            "--as",
            COORDINATOR,
        )
        assert web.get(link).status_code == 410
        after = web.get("/board", follow_redirects=False)
        assert after.status_code == 303 and after.headers["location"].startswith("/signin")
