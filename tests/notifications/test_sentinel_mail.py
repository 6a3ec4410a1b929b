"""A child's name, date of birth and NHS number typed anywhere people can type — answers,
concerns, assurance, sign-off comments, findings, reasons — appear in no e-mail (subject,
body or headers) and in no log line, through the whole cycle, its reminders and the relay."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from notifications.relay import relay
from states.clock import FakeClock
from states.services import audits, findings, returns, work
from states.services.deps import Deps
from states.services.sweep import sweep
from tests.support.driver import complete_answers, drive
from tests.support.partnership import email
from tests.support.relay import CONFIG
from tests.support.smtp import Recorder, mailer, smtp_server

NAME, BIRTH, NHS = "Sentinelchild Qwertyson", "14/02/2015", "943 476 5919"
PLANTED = f"{NAME}, born {BIRTH}, NHS {NHS}"


def _plant_everywhere(deps: Deps) -> None:
    driver = drive(deps, "section_11", to="returns_open", theme="Sentinel")
    reference = driver.reference
    tool = deps.catalogue.tool("section_11")
    assert tool is not None
    answers = complete_answers(tool)
    for _, q in tool.questions():
        if q.type in ("free_text", "evidence_reference"):
            answers[q.id] = PLANTED
    returns.submit(
        deps, audit=reference, actor=email("lead.police"), agency="police", answers=answers
    )
    concern = work.raise_immediate_risk(
        deps, audit=reference, actor=email("chair"), agency="police", concern=PLANTED
    )
    work.record_assurance(
        deps, audit=reference, actor=email("chair"), escalation_id=concern, assurance=PLANTED
    )
    driver.advance("moderation")
    findings.record_finding(
        deps, audit=reference, actor=email("chair"), kind="concern", summary=PLANTED
    )
    driver.advance("awaiting_sign_off")
    work.record_sign_off_decision(
        deps, audit=reference, actor=email("lsp.police"), decision="refuse", comment=PLANTED
    )
    audits.fire(
        deps,
        audit=reference,
        trigger="request_further_assurance",
        actor=email("lsp.police"),
        reason=PLANTED,
    )


def test_planted_child_details_reach_no_email_and_no_log(
    partnership: Deps, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    deps = partnership
    _plant_everywhere(deps)
    clock.advance(timedelta(days=40))
    sweep(deps)
    recorder = Recorder()
    with smtp_server(recorder) as port:
        result = relay(deps, mailer(port), config=CONFIG, batch=1000)
    assert result.sent >= 10 and result.failed == 0
    assert len(recorder.received) == result.sent
    kinds = set()
    for message in recorder.received:
        whole = message.as_string()
        for secret in (NAME, BIRTH, NHS, "Qwertyson"):
            assert secret not in whole
        kinds.add(str(message["Subject"]).split(":")[0])
    assert len(kinds) > 3, "several kinds of message were checked"
    logged = caplog.get_records("call")
    assert logged and not [
        r for r in logged if "Qwertyson" in r.getMessage() or NHS in r.getMessage()
    ]
