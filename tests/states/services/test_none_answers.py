"""Answers that mean "none" count as neither a strength nor a gap (issue 15, item 9).

A MACE auditor who writes "None found." where the tool asks for gaps records no gap: no
finding to moderate and none counted. An EEDI choice meaning there was nothing of the kind
("there were no particular communication needs") is left out of the answer counts.
"""

from __future__ import annotations

from states.clock import FakeClock
from states.services import findings, returns
from states.services.aggregation import audit_aggregates
from states.services.deps import Deps
from tests.support.driver import RETURNING, complete_answers, drive
from tests.support.partnership import email


def test_none_found_is_neither_a_strength_nor_a_gap(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    driver = drive(deps, "mace", to="returns_open", theme="None found")
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    gaps = [q.id for _, q in tool.questions() if q.finding == "gap"]
    first, second = driver.cases[:2]
    said = complete_answers(tool)
    quiet = {**said, **dict.fromkeys(gaps, "None found."), "communication_needs_met": "not_needed"}
    for case, answers in ((first, said), (second, quiet)):
        returns.submit(
            deps,
            audit=driver.reference,
            actor=email(RETURNING["police"]),
            agency="police",
            case=case,
            answers=answers,
        )

    made = findings.list_findings(deps, audit=driver.reference)
    by_case = {case: [f for f in made if f.case == case] for case in (first, second)}
    assert sum(f.kind == "gap" for f in by_case[first]) == len(gaps)
    assert not [f for f in by_case[second] if f.kind == "gap"]
    assert sum(f.kind == "strength" for f in by_case[second]) == sum(
        f.kind == "strength" for f in by_case[first]
    )

    counted = audit_aggregates(deps, audit=driver.reference)
    assert counted.findings.gaps == len(gaps)
    needs = next(d for d in counted.eedi.answers if d.key == "communication_needs_met")
    assert "not_needed" not in needs.values
    assert needs.as_dict() == {"met": 1, "partly_met": 0, "not_met": 0}
