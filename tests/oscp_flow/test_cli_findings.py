"""``oscp findings list|confirm|change`` in-process on the test's database (SQLite and
PostgreSQL): a moderator's page of findings, confirmed whole, one rating changed."""

from __future__ import annotations

from pathlib import Path

from states.clock import FakeClock
from states.services import findings
from states.services.deps import Deps
from tests.support.cli import on_database, oscp_with
from tests.support.driver import FREE_TEXT, drive
from tests.support.partnership import email
from tests.support.ports import free_port


def test_moderating_from_the_command_line(
    partnership: Deps, clock: FakeClock, tmp_path: Path
) -> None:
    deps = partnership
    reference = drive(deps, "section_11", to="moderation", theme="Command line").reference
    env = on_database(deps, tmp_path, free_port())
    lead = ("--as", email("lead.police"))
    chair = ("--as", email("chair"))

    listed = oscp_with(env, "findings", "list", reference, "--unmoderated", *lead)
    assert listed.exit_code == 0, listed.stderr
    police = [f for f in findings.list_findings(deps, audit=reference) if f.agency == "police"]
    assert f"{len(police)} finding(s) shown, {len(police)} not yet moderated." in listed.stdout
    assert FREE_TEXT in listed.stdout and "csc" not in listed.stdout

    refused = oscp_with(env, "findings", "list", reference, "--as", email("lsp.police"))
    assert refused.exit_code == 4 and "may moderate finding" in refused.stderr

    both = oscp_with(env, "findings", "confirm", reference, "1", "--all-shown", *lead)
    assert both.exit_code == 2 and "not both" in both.stderr
    done = oscp_with(env, "findings", "confirm", reference, "--all-shown", "--unmoderated", *lead)
    assert done.exit_code == 0, done.stderr
    assert f"Confirmed {len(police)} finding(s)." in done.stdout

    rating = next(
        f
        for f in findings.list_findings(deps, audit=reference)
        if f.kind == "rating" and f.agency == "csc"
    )
    denied = oscp_with(
        env,
        "findings",
        "change",
        reference,
        str(rating.id),
        "--rating",
        "red",
        "--rationale",
        "Not evidenced",
        *lead,
    )
    assert denied.exit_code == 4, denied.stdout
    changed = oscp_with(
        env,
        "findings",
        "change",
        reference,
        str(rating.id),
        "--rating",
        "red",
        "--rationale",
        "Not evidenced",
        *chair,
    )
    assert changed.exit_code == 0, changed.stderr
    assert f"Finding {rating.id} rated red at moderation." in changed.stdout
    left = oscp_with(env, "findings", "list", reference, "--unmoderated", *chair)
    assert "→ red" not in left.stdout  # moderated, so no longer among the unmoderated
    shown = oscp_with(env, "findings", "list", reference, "--agency", "csc", *chair)
    assert f"{rating.original_rating} → red" in shown.stdout
