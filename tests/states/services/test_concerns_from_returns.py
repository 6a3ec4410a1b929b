"""A concern answered in a return raises the escalation itself (issue 16, item 9), on both
stores: the MACE tool's immediate-risk question, answered, escalates to the return's agency
in the same transaction as the return is saved, with the same records and messages as
``oscp audit concern``; once per return and question, however often it is saved; never for a
blank or "none found" answer; and the answer's words go into no e-mail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from states.definitions.tool import ToolDefinition
from states.errors import ReturnIncomplete
from states.persistence import tables as t
from states.services import case_returns, concerns, queries, returns
from states.services.deps import Deps
from tests.support.driver import complete_answers, drive
from tests.support.partnership import email

QUESTION = "immediate_risk_concern"
WORDS = "Case C02: the child was left with an adult the police had barred from the home"


def _mace(deps: Deps) -> tuple[str, str, ToolDefinition]:
    """A MACE collecting case audits, and the first of the police's cases."""
    reference = drive(deps, "mace", "returns_open").reference
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    case = case_returns.returnable(
        deps, audit=reference, actor=email("lead.police"), agency="police"
    )
    return reference, case[0], tool


def _escalations(deps: Deps) -> list[tuple[object, ...]]:
    e = t.escalation
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(e.c.id, t.agency.c.code, e.c.concern, e.c.question_id, e.c.raised_by)
            .join(t.agency, t.agency.c.id == e.c.agency_id)
            .order_by(e.c.id)
        )
        return [tuple(row) for row in rows]


def _messages(deps: Deps, escalation: object) -> list[tuple[str, str | None, str]]:
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.person.c.email, t.outbox.c.link_purpose, t.outbox.c.context)
            .join(t.person, t.person.c.id == t.outbox.c.recipient_id)
            .where(t.outbox.c.kind == "immediate_risk_raised", t.outbox.c.subject_id == escalation)
            .order_by(t.person.c.email)
        )
        return [(who, link, context) for who, link, context in rows]


def test_answering_the_question_in_a_draft_raises_the_concern_once(partnership: Deps) -> None:
    deps = partnership
    reference, case, tool = _mace(deps)
    returns.save_draft(
        deps,
        audit=reference,
        actor=email("lead.police"),
        agency="police",
        case=case,
        answers={QUESTION: WORDS},
    )
    ((number, agency, words, question, raised_by),) = _escalations(deps)
    assert (agency, words, question) == ("police", WORDS, QUESTION)
    with deps.uow(readonly=True) as uow:
        lead = uow.connection.execute(
            select(t.person.c.id).where(t.person.c.email == email("lead.police"))
        ).scalar_one()
    assert raised_by == lead
    # The same messages as a concern raised by name: the strategic lead's link, the chair's.
    told = _messages(deps, number)
    assert [(who, link) for who, link, _ in told] == [
        (email("chair"), None),
        (email("lsp.police"), "assurance"),
    ]
    assert all("barred" not in context for _, _, context in told)
    # In the history: the return saved, then the concern it raised, in the same moment.
    saved, raised = queries.history(deps, audit=reference)[-2:]
    assert (saved.trigger, raised.trigger) == ("save_return", "raise_immediate_risk")
    assert raised.at == saved.at and raised.version == saved.version + 1
    assert (
        raised.reason
        == "Immediate-risk concern raised with agency police by an answer in its return"
    )

    returns.save_draft(
        deps,
        audit=reference,
        actor=email("lead.police"),
        agency="police",
        case=case,
        answers={QUESTION: WORDS + " (more detail)"},
    )
    answers = complete_answers(tool)
    answers[QUESTION] = WORDS
    returns.submit(
        deps,
        audit=reference,
        actor=email("lead.police"),
        agency="police",
        case=case,
        answers=answers,
    )
    assert len(_escalations(deps)) == 1, "raised once per return and question"
    assert queries.history(deps, audit=reference)[-1].trigger == "submit_return"


@pytest.mark.parametrize("answer", ["", "None found", "  none.  "])
def test_a_blank_or_none_answer_raises_nothing(partnership: Deps, answer: str) -> None:
    deps = partnership
    reference, case, tool = _mace(deps)
    answers = complete_answers(tool)
    answers[QUESTION] = answer
    returns.submit(
        deps,
        audit=reference,
        actor=email("lead.police"),
        agency="police",
        case=case,
        answers=answers,
    )
    assert _escalations(deps) == []


def test_a_return_refused_raises_nothing(partnership: Deps) -> None:
    """The concern and its return are saved together or not at all."""
    deps = partnership
    reference, case, _ = _mace(deps)
    with pytest.raises(ReturnIncomplete):
        returns.submit(
            deps,
            audit=reference,
            actor=email("lead.police"),
            agency="police",
            case=case,
            answers={QUESTION: WORDS},
        )
    assert _escalations(deps) == []
    with deps.uow(readonly=True) as uow:
        queued = uow.connection.execute(
            select(func.count()).where(t.outbox.c.kind == "immediate_risk_raised")
        ).scalar_one()
    assert queued == 0


def test_each_case_of_a_workbook_raises_its_own(partnership: Deps) -> None:
    """An agency's cases saved together (a workbook): each answered case raises one, to the
    agency, and the concerns read back with their case and question."""
    deps = partnership
    reference, _, _ = _mace(deps)
    cases = case_returns.returnable(
        deps, audit=reference, actor=email("lead.police"), agency="police"
    )
    case_returns.save_all(
        deps,
        audit=reference,
        actor=email("lead.police"),
        agency="police",
        answers={case: {QUESTION: f"{WORDS} ({case})"} for case in cases},
    )
    assert [row[1:4] for row in _escalations(deps)] == [
        ("police", f"{WORDS} ({case})", QUESTION) for case in cases
    ]
    raised = [e.trigger for e in queries.history(deps, audit=reference)][-len(cases) - 1 :]
    assert raised == ["save_return", *["raise_immediate_risk"] * len(cases)]


def test_a_yes_no_question_declared_so_raises_on_yes(partnership: Deps) -> None:
    """The rule itself, on a tool's yes/no/partly question declared immediate-risk."""
    tool = partnership.catalogue.tool("mace")
    assert tool is not None
    question = tool.question("family_understood_plan").model_copy(update={"immediate_risk": True})
    assert question.raising_answers() == {"yes"}
    assert tool.raises_concern(question, "yes")
    assert not tool.raises_concern(question, "partly")
    assert tool.no_risk_answer(question) == "no"
    chosen = question.model_copy(update={"raises_on": ["yes", "partly"]})
    assert tool.raises_concern(chosen, "partly")
    assert concerns.RESPONDERS == ("strategic_lead", "agency_lead")
