"""``oscp audit deep-dive select`` and ``oscp audit feedback`` in-process on the test's
database (SQLite and PostgreSQL): Section 175's deep dive taken by the declared rule, then by
hand with a reason, and each sampled setting's feedback recorded from a file, until the audit
moves on to its report."""

from __future__ import annotations

from pathlib import Path

from states.services import audits, findings, queries
from states.services.deps import Deps
from tests.support.cli import on_database, oscp_with
from tests.support.driver import drive
from tests.support.partnership import email
from tests.support.ports import free_port

COORDINATOR = ("--as", email("coordinator"))
CHAIR = ("--as", email("chair"))


def test_the_deep_dive_and_its_feedback_from_the_command_line(
    partnership: Deps, tmp_path: Path
) -> None:
    deps = partnership
    reference = drive(deps, "section_175", to="deep_dive", theme="S175 CLI").reference
    env = on_database(deps, tmp_path, free_port())

    def oscp(*args: str) -> tuple[int, str, str]:
        result = oscp_with(env, *args)
        return result.exit_code, result.stdout, result.stderr

    code, _, said = oscp("audit", "deep-dive", "select", reference, *COORDINATOR)
    assert code == 2 and "either --by-rule or --settings" in said
    code, _, said = oscp(
        "audit", "deep-dive", "select", reference, "--by-rule", "--settings", "csc", *CHAIR
    )
    assert code == 2

    code, shown, said = oscp(
        "audit", "deep-dive", "select", reference, "--by-rule", "--seed", "3", *COORDINATOR
    )
    assert code == 0, said
    assert f"Deep dive on {reference}: 2 settings by the rule, with seed 3:" in shown
    assert "community_health" in shown  # it rated every standard red

    code, shown, said = oscp(
        "audit", "deep-dive", "select", reference, "--settings", "csc, police",
        "--reason", "The learning hub asked for these two", *CHAIR,
    )  # fmt: skip
    assert code == 0, said
    assert f"Deep dive on {reference}: 2 settings by hand: csc, police." in shown

    # Moderation and its transition have their own commands' tests.
    for finding in findings.list_findings(deps, audit=reference):
        findings.moderate(deps, audit=reference, actor=email("chair"), finding_id=finding.id)
    audits.fire(deps, audit=reference, trigger="complete_deep_dive", actor=email("chair"))

    letter = tmp_path / "feedback.txt"
    letter.write_text("Strong safeguarding culture; update the online safety policy.\n")
    code, shown, said = oscp("audit", "feedback", reference, "csc", "--file", str(letter), *CHAIR)
    assert code == 0, said
    assert f"Feedback to csc on {reference} recorded." in shown
    code, _, said = oscp(
        "audit", "feedback", reference, "police", "--file", str(letter),
        "--as", email("lead.police"),
    )  # fmt: skip
    assert code == 4, said
    not_text = tmp_path / "feedback.docx"
    not_text.write_bytes(b"PK\x03\x04\x00\xff\xfe binary")
    code, _, said = oscp("audit", "feedback", reference, "police", "--file", str(not_text), *CHAIR)
    assert code == 1 and "feedback.docx is not UTF-8 text" in said

    code, shown, said = oscp(
        "audit", "feedback", reference, "police", "--file", str(letter), *COORDINATOR
    )
    assert code == 0 and "recorded." in shown, said
    code, shown, said = oscp(
        "audit", "feedback", reference, "police", "--file", str(letter), *CHAIR
    )
    assert code == 0 and f"Feedback to police on {reference} replaced." in shown, said
    code, _, said = oscp("audit", "fire", reference, "send_feedback", *COORDINATOR)
    assert code == 0, said
    history = [e.trigger for e in queries.history(deps, audit=reference)]
    assert history.count("record_feedback") == 3 and history.count("select_deep_dive") == 2
