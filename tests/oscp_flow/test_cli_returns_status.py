"""``oscp audit show`` lists each agency's returns and the cases it still owes, and ``oscp audit
start`` warns of an agency nobody can ask (issue 15, items 8 and 10), in-process on the test's
database (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from states.services import returns
from states.services.deps import Deps
from tests.support.cli import on_database, oscp_with
from tests.support.driver import complete_answers, drive
from tests.support.partnership import agency_name, email
from tests.support.ports import free_port

WARNING = (
    "Warning: {} has no active agency lead in the directory, so nobody there will be asked "
    "for its return; add one before returns open."
)


def _returns_rows(shown: str) -> dict[str, str]:
    """The rows of the returns table, by agency name (the table runs to the next title)."""
    table = shown.split("Returns (", 1)[1].split("Terms of reference", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells and cells[0]:
            rows[cells[0]] = " | ".join(cells[1:])
    return rows


def test_audit_show_counts_returns_and_lists_the_cases_owed(
    partnership: Deps, tmp_path: Path
) -> None:
    deps = partnership
    driver = drive(deps, "mace", "auditors_assigned", theme="Shown")
    reference, (c1, c2, c3) = driver.reference, driver.cases
    env = on_database(deps, tmp_path, free_port())

    def show(local: str) -> tuple[str, dict[str, str]]:
        result = oscp_with(env, "audit", "show", reference, "--as", email(local))
        assert result.exit_code == 0, result.stderr
        return result.stdout, _returns_rows(result.stdout)

    shown, rows = show("coordinator")
    assert "Returns (not open yet)" in shown
    assert rows[agency_name("police")] == f"not requested | 0 of 3 | {c1}, {c2}, {c3}"

    driver.advance("returns_open")
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    returns.submit(
        deps,
        audit=reference,
        actor=email("lead.police"),
        agency="police",
        case=c1,
        answers=complete_answers(tool),
    )
    shown, rows = show("coordinator")
    assert "Returns (open)" in shown
    assert rows[agency_name("police")] == f"in progress | 1 of 3 | {c2}, {c3}"
    assert rows[agency_name("csc")] == f"requested | 0 of 3 | {c1}, {c2}, {c3}"

    _, own = show("lead.police")
    assert list(own) == [agency_name("police")]
    _, counts_only = show("lhm")
    assert counts_only[agency_name("police")] == "in progress | 1 of 3"


def test_audit_start_warns_of_each_agency_nobody_can_ask(partnership: Deps, tmp_path: Path) -> None:
    env = on_database(partnership, tmp_path, free_port())
    result = oscp_with(
        env,
        "audit", "start", "section_11", "--theme", "Nobody to ask",
        "--lead", email("chair"), "--agency", "police", "--agency", "early_years",
        "--as", email("coordinator"),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Started AUD-")
    assert result.stderr.splitlines() == [WARNING.format(agency_name("early_years"))]
    quiet = oscp_with(
        env,
        "audit", "start", "section_11", "--theme", "All led",
        "--lead", email("chair"), "--agency", "police", "--as", email("coordinator"),
    )  # fmt: skip
    assert quiet.exit_code == 0 and quiet.stderr == ""
