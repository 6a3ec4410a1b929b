"""Cases CSV files as people actually make them, through ``oscp audit sample``.

Excel's "CSV UTF-8" (a byte-order mark), its plain "CSV" on a British machine (Windows-1252),
a spreadsheet saved under the wrong name (binary), and rows short of a column, over by one, or
with a date written the British way: each is read, or refused with its line, never a crash,
and nothing from a refused file is stored. Refusals are decided before the database is
opened. The command runs in process against the test's database on both stores.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select
from typer.testing import CliRunner, Result

from oscp_flow.cli import app
from states.clock import FakeClock
from states.errors import InvalidInput
from states.persistence import tables as t
from states.persistence.uow import UnitOfWorkFactory
from states.rules.case_list import CaseCandidate
from states.rules.catalogue import Catalogue
from states.services import audits, sampling
from states.services.deps import Deps
from tests.support.partnership import email, seed_partnership

HEADER = "reference,agencies,first_intervention_on,last_intervention_on"
GOOD = "CF-001,police;csc,2025-06-01,2026-01-05"
SAVE_AS = "save it as CSV UTF-8 and try again"


@dataclass
class Opened:
    """How often the command opened the database (a refused file must not)."""

    times: int = 0


@pytest.fixture
def cli(partnership: Deps, monkeypatch: pytest.MonkeyPatch) -> Iterator[Opened]:
    opened = Opened()

    def deps() -> Deps:
        opened.times += 1
        return partnership

    monkeypatch.setattr("oscp_flow.cli.common.build_deps", deps)
    yield opened


@pytest.fixture
def audit(partnership: Deps) -> str:
    return audits.start_audit(
        partnership,
        audit_type="mace",
        theme="Cases files",
        lead=email("chair"),
        actor=email("coordinator"),
        agencies=["police", "csc"],
    ).reference


def sample(audit: str, path: Path) -> Result:
    args = ["audit", "sample", audit, str(path), "--as", email("coordinator")]
    return CliRunner().invoke(app, args, env={"COLUMNS": "250"})


def stored(deps: Deps, audit: str) -> tuple[int, int]:
    """(cases sampled, audit version): a refused file changes neither."""
    with deps.uow(readonly=True) as uow:
        row = uow.connection.execute(
            select(t.audit.c.id, t.audit.c.version).where(t.audit.c.reference == audit)
        ).one()
        cases = uow.connection.execute(
            select(func.count()).select_from(t.case).where(t.case.c.audit_id == row.id)
        ).scalar_one()
    return int(cases), int(row.version)


def write(tmp_path: Path, data: bytes, name: str = "cases.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_excel_csv_utf8_with_a_byte_order_mark_is_read(
    partnership: Deps, cli: Opened, audit: str, tmp_path: Path
) -> None:
    path = write(tmp_path, codecs.BOM_UTF8 + f"{HEADER}\r\n{GOOD}\r\n".encode())
    result = sample(audit, path)
    assert result.exit_code == 0, result.output
    assert "Sampled 1 case(s): CF-001." in result.stdout
    assert "Windows-1252" not in result.stdout
    assert stored(partnership, audit)[0] == 1


def test_windows_1252_is_read_and_said(
    partnership: Deps, cli: Opened, audit: str, tmp_path: Path
) -> None:
    """Excel's plain CSV on a British machine: 0x92 is its apostrophe, not UTF-8."""
    rows = f"{HEADER},team\r\n{GOOD},Children\x92s social care\r\n".encode("latin-1")
    result = sample(audit, write(tmp_path, rows))
    assert result.exit_code == 0, result.output
    assert "Read cases.csv as Windows-1252: it is not UTF-8 (from line 2)." in result.stdout
    assert "Sampled 1 case(s): CF-001." in result.stdout
    assert stored(partnership, audit)[0] == 1


REFUSED_FILES = {
    "not UTF-8 nor Windows-1252": (
        f"{HEADER}\n{GOOD}\nCF-002,police,2025-06-01,\x81\n".encode("latin-1"),
        f"cases.csv, line 3: byte 0x81 is neither UTF-8 nor Windows-1252 text; {SAVE_AS}.",
    ),
    "a byte-order mark, then not UTF-8": (
        codecs.BOM_UTF8 + f"{HEADER}\n{GOOD},\x92\n".encode("latin-1"),
        f"cases.csv, line 2: byte 0x92 is not UTF-8; {SAVE_AS}.",
    ),
    "a workbook saved as .csv": (
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb2\x8f\x9c\xd7[Content_Types].xml",
        "cases.csv is not a text file (it holds binary data); export the cases as CSV UTF-8.",
    ),
    "binary junk without a NUL byte": (
        bytes(range(1, 256)) * 3,
        "cases.csv is not a text file (it holds binary data); export the cases as CSV UTF-8.",
    ),
    "UTF-16 (Excel's Unicode text)": (
        f"{HEADER}\n{GOOD}\n".encode("utf-16"),
        f"cases.csv is saved as UTF-16 (Unicode text); {SAVE_AS}.",
    ),
    "semicolons between columns": (
        f"{HEADER.replace(',', ';')}\nCF-001;police;2025-06-01;2026-01-05\n".encode(),
        "cases.csv, line 1: the first line names the columns reference, agencies, "
        "first_intervention_on, last_intervention_on, separated by commas.",
    ),
    "an empty file": (b"", "cases.csv, line 1: the file is empty."),
    "a quotation mark left open": (
        f'{HEADER}\n{GOOD}\n"CF-002,police,2025-06-01,2026-01-05\n'.encode() + b"x" * 140_000,
        "cases.csv, line 3 cannot be read as CSV",
    ),
}


@pytest.mark.parametrize("kind", sorted(REFUSED_FILES))
def test_a_file_that_is_not_text_as_expected_is_refused_plainly(
    sqlite_partnership: tuple[Deps, str], tmp_path: Path, kind: str
) -> None:
    deps, audit = sqlite_partnership
    data, said = REFUSED_FILES[kind]
    result = sample(audit, write(tmp_path, data))
    assert result.exit_code == 1, result.output
    assert said in " ".join(result.stderr.split())
    assert "Traceback" not in result.output and "unexpectedly" not in result.stderr
    assert stored(deps, audit) == (0, 1)


# Rows with one problem each, and the problem (the file's cells are never said back).
MALFORMED = [
    ("CF-003", "has 1 of the 4 columns; leave a cell empty, not out"),
    (
        "CF-004,police,2025-06-01,2026-01-05,extra",
        "has more values than the 4 columns; put a value holding a comma in quotes",
    ),
    ("CF-005,police,01/02/2026,", "dates are written YYYY-MM-DD, such as 2026-01-31"),
    (",police,2025-06-01,2026-01-05", "the reference is empty"),
    ("Jane Doe,police,2025-06-01,2026-01-05", "the reference looks like a name"),
    ("CF-001,csc,2025-06-01,2026-01-05", "repeats the reference on line 2"),
    ("CF-009,police,2026-01-05,2025-06-01", "the first intervention is after the last"),
    ("CF 010,police,,", "a case reference is a pseudonymous code"),
    ("CF-011,police,2026-02-30,", "dates are written YYYY-MM-DD"),
]
# All of them in one file after a good row (line 2), then a good row and blank ones.
ALL_AT_ONCE = [
    "cases.csv, line 3: has 1 of the 4 columns",
    "; line 4: has more values than the 4 columns",
    "; lines 5, 11: dates are written YYYY-MM-DD",
    "; line 6: the reference is empty",
    "; line 7: the reference looks like a name",
    "; line 8: repeats the reference on line 2",
    "; line 9: the first intervention is after the last",
    "; line 10: a case reference is a pseudonymous code",
]


def malformed_file(tmp_path: Path) -> Path:
    rows = [HEADER, GOOD, *(row for row, _ in MALFORMED), "CF-012,police,,", ",,,", ""]
    return write(tmp_path, "\r\n".join(rows).encode())


def test_every_malformed_row_is_refused_with_its_line_all_at_once(
    sqlite_partnership: tuple[Deps, str], tmp_path: Path
) -> None:
    deps, audit = sqlite_partnership
    result = sample(audit, malformed_file(tmp_path))
    assert result.exit_code == 1, result.output
    said = " ".join(result.stderr.split())
    assert "Traceback" not in result.output and "unexpectedly" not in said
    for problem in ALL_AT_ONCE:
        assert problem in said
    assert said.endswith("Nothing was stored; correct the file and run the command again.")
    assert "Jane" not in said and "Doe" not in said  # a name is never repeated back
    assert stored(deps, audit) == (0, 1)


@pytest.mark.parametrize(("row", "problem"), MALFORMED)
def test_each_malformed_row_alone(
    sqlite_partnership: tuple[Deps, str], tmp_path: Path, row: str, problem: str
) -> None:
    """The same row alone, on line 3: the line number follows the row, not a count."""
    deps, audit = sqlite_partnership
    result = sample(audit, write(tmp_path, f"{HEADER}\n{GOOD}\n{row}\n".encode()))
    assert result.exit_code == 1, result.output
    assert f"cases.csv, line 3: {problem}" in " ".join(result.stderr.split())
    assert stored(deps, audit) == (0, 1)


def test_the_same_problem_on_many_lines_is_said_once(
    sqlite_partnership: tuple[Deps, str], tmp_path: Path
) -> None:
    deps, audit = sqlite_partnership
    rows = [HEADER, *(f"CF-{n:03d},police,{n:02d}/01/2026," for n in range(1, 41)), GOOD]
    rows[20] = "CF-020"
    result = sample(audit, write(tmp_path, "\n".join(rows).encode()))
    said = " ".join(result.stderr.split())
    assert (
        "cases.csv, lines 2-20, 22-41: dates are written YYYY-MM-DD, such as 2026-01-31; "
        "line 21: has 1 of the 4 columns" in said
    )
    assert said.count("dates are written") == 1
    assert stored(deps, audit) == (0, 1)


def test_a_refused_file_never_opens_the_database(cli: Opened, audit: str, tmp_path: Path) -> None:
    assert sample(audit, malformed_file(tmp_path)).exit_code == 1
    assert sample(audit, write(tmp_path, b"\x00\x01")).exit_code == 1
    assert cli.times == 0
    assert sample(audit, write(tmp_path, f"{HEADER}\n{GOOD}\n".encode())).exit_code == 0
    assert cli.times == 1


def test_a_missing_file_or_a_folder_is_a_usage_error(
    cli: Opened, audit: str, tmp_path: Path
) -> None:
    assert sample(audit, tmp_path / "absent.csv").exit_code == 2
    assert sample(audit, tmp_path).exit_code == 2
    assert cli.times == 0


def test_an_unknown_agency_is_named_and_nothing_is_stored(
    partnership: Deps, cli: Opened, audit: str, tmp_path: Path
) -> None:
    rows = f"{HEADER}\n{GOOD}\nCF-002,police;no_such_agency,,\n"
    result = sample(audit, write(tmp_path, rows.encode()))
    assert result.exit_code == 1, result.output
    assert "No agency 'no_such_agency' was found" in result.stderr
    assert stored(partnership, audit) == (0, 1)


def test_cases_already_sampled_are_named(
    partnership: Deps, cli: Opened, audit: str, tmp_path: Path
) -> None:
    path = write(tmp_path, f"{HEADER}\n{GOOD}\n".encode())
    assert sample(audit, path).exit_code == 0
    again = sample(audit, path)
    assert again.exit_code == 1
    assert f"Audit {audit} has already sampled CF-001; take them out" in again.stderr
    assert stored(partnership, audit) == (1, 2)


def test_a_long_list_is_written_in_batches_and_summed_up(
    partnership: Deps, cli: Opened, audit: str, tmp_path: Path
) -> None:
    """2,500 cases (three chunks) in a few dozen statements, each case with its own agencies;
    one statement per case and agency was 12,500 round trips on PostgreSQL."""
    agencies = ("police", "csc", "acute", "camhs")
    rows = [HEADER] + [
        f"CB-{n:05d},{agencies[n % 4]};{agencies[(n + 1) % 4]},2025-06-01,2026-01-05"
        for n in range(2_500)
    ]
    statements = count_statements(partnership.uow.engine)
    result = sample(audit, write(tmp_path, "\n".join(rows).encode()))
    assert result.exit_code == 0, result.output
    assert "Sampled 2500 case(s): CB-00000, CB-00001," in result.stdout
    assert result.stdout.rstrip().endswith("and 2450 more.")
    assert statements() < 60
    with partnership.uow(readonly=True) as uow:
        links = uow.connection.execute(
            select(t.case.c.reference, t.agency.c.code)
            .join(t.case_agency, t.case_agency.c.case_id == t.case.c.id)
            .join(t.agency, t.agency.c.id == t.case_agency.c.agency_id)
        ).all()
    expected = {(f"CB-{n:05d}", agencies[(n + k) % 4]) for n in range(2_500) for k in (0, 1)}
    assert set(links) == expected and len(links) == 5_000


def count_statements(engine: Engine) -> Callable[[], int]:
    """How many statements the engine has sent to the database since this was called."""
    seen: list[None] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(*_: object) -> None:
        seen.append(None)

    return lambda: len(seen)


def test_the_service_refuses_a_name_as_a_reference(partnership: Deps, audit: str) -> None:
    with pytest.raises(InvalidInput, match="looks like a name"):
        sampling.select_sample(
            partnership,
            audit=audit,
            actor=email("coordinator"),
            candidates=[CaseCandidate("Smith")],
            method="list",
        )
    assert stored(partnership, audit) == (0, 1)


@pytest.fixture
def sqlite_partnership(
    sqlite_engine: Engine, catalogue: Catalogue, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> tuple[Deps, str]:
    """Refusals are decided before the database is opened, so one store shows them."""
    deps = Deps(uow=UnitOfWorkFactory(sqlite_engine), catalogue=catalogue, clock=clock)
    seed_partnership(deps)
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: deps)
    reference = audits.start_audit(
        deps,
        audit_type="mace",
        theme="Cases files",
        lead=email("chair"),
        actor=email("coordinator"),
    ).reference
    return deps, reference
