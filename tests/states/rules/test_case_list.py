"""One case typed into a form is checked by the rules a cases file's row is (issue 17, item
2), and a list's cases keep the lines they were read from."""

from __future__ import annotations

from datetime import date

import pytest

from states.errors import CaseListRejected
from states.rules.case_list import COLUMNS, CaseCandidate, read_lines, typed_case


def test_a_typed_case_is_read_as_a_row_is() -> None:
    case, problems = typed_case(" NV-010 ", "police; csc;police", "2025-09-01", "2026-01-05")
    assert problems == {}
    assert case == CaseCandidate("NV-010", ("police", "csc"), date(2025, 9, 1), date(2026, 1, 5))
    assert typed_case("NV-011", "", "", "") == (CaseCandidate("NV-011"), {})


@pytest.mark.parametrize(
    ("typed", "field", "sentence"),
    [
        (("Jane Doe", "", "", ""), "reference", "The reference looks like a name"),
        (("", "", "", ""), "reference", "The reference is empty"),
        (("NV-1", "", "1/2/2026", ""), "first_intervention_on", "Dates are written YYYY-MM-DD"),
        (("NV-1", "", "", "2026-02-30"), "last_intervention_on", "Dates are written"),
        (("NV-1", "", "2026-02-01", "2026-01-01"), "last_intervention_on", "The first inter"),
    ],
)
def test_each_field_at_fault_has_its_sentence(
    typed: tuple[str, str, str, str], field: str, sentence: str
) -> None:
    case, problems = typed_case(*typed)
    assert case is None and list(problems) == [field]
    assert problems[field].startswith(sentence) and problems[field].endswith(".")


def test_a_list_keeps_each_case_with_its_line() -> None:
    rows = [(1, list(COLUMNS)), (2, ["NV-1", "police", "", ""]), (3, ["", "", "", ""])]
    rows.append((5, ["NV-2", "csc", "", "2026-01-01"]))
    assert [(line, case.reference) for line, case in read_lines("cases.csv", rows)] == [
        (2, "NV-1"),
        (5, "NV-2"),
    ]
    with pytest.raises(CaseListRejected, match="line 3: the first intervention is after"):
        read_lines("cases.csv", [(1, list(COLUMNS)), (3, ["NV-3", "", "2026-02-01", "2026-01-01"])])
