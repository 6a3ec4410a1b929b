"""Summary reports in the engine: who may write the narrative and when, freezing with a hash
that the database keeps unchanged, a new version only after further assurance, products
only from the signed-off report, and dissemination records. Both stores."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from states.errors import InvalidInput, NotFound, PermissionDenied
from states.persistence import tables as t
from states.services import queries, report_store, reports
from states.services.deps import Deps
from states.services.dissemination import list_disseminations, record_dissemination
from states.services.report_store import StoredReport, html_hash
from tests.support.driver import Driver
from tests.support.partnership import email, person_name
from tests.support.reporting import NARRATIVE, PLANTED, SENTINELS, drafting

HTML = "<!DOCTYPE html><html><body><h1>Summary</h1></body></html>"
PDF = b"%PDF-1.7 stand-in"


def _freeze(deps: Deps, reference: str, html: str = HTML) -> StoredReport:
    source = reports.summary_source(deps, audit=reference)
    return reports.freeze(
        deps,
        audit=reference,
        actor=email("chair"),
        kind="summary",
        html=html,
        pdf=PDF,
        figures=source.figures,
        narrative=source.narrative,
    )


def _submitted(deps: Deps, audit_type: str = "mace") -> Driver:
    driver = drafting(deps, audit_type)
    driver.advance("awaiting_sign_off")
    return driver


def test_the_chair_or_coordinator_writes_the_narrative_and_each_save_is_recorded(
    partnership: Deps,
) -> None:
    deps = partnership
    driver = drafting(deps, "mace")
    before = queries.audit_status(deps, audit=driver.reference, as_person=email("chair")).version
    version = reports.save_narrative(
        deps,
        audit=driver.reference,
        actor=email("coordinator"),
        section="reflection",
        text="  Shorter reflection.  ",
    )
    assert version == 1
    source = reports.summary_source(deps, audit=driver.reference)
    assert source.editable
    assert source.narrative == {**NARRATIVE, "reflection": "Shorter reflection."}
    events = queries.history(deps, audit=driver.reference)
    assert events[-1].trigger == "save_report_narrative"
    assert events[-1].version == before + 1
    assert events[-1].reason == "Summary report section 'reflection' saved"

    with pytest.raises(PermissionDenied, match="only the chair or coordinator"):
        reports.save_narrative(
            deps, audit=driver.reference, actor=email("lead.police"), section="reflection", text="x"
        )
    with pytest.raises(InvalidInput, match="section is one of"):
        reports.save_narrative(
            deps, audit=driver.reference, actor=email("chair"), section="summary", text="x"
        )
    with pytest.raises(InvalidInput, match="cannot be stored"):
        reports.save_narrative(
            deps, audit=driver.reference, actor=email("chair"), section="reflection", text="a\x00"
        )


def test_a_summary_is_frozen_when_submitted_and_then_never_changes(
    partnership: Deps, engine: Engine
) -> None:
    deps = partnership
    driver = drafting(deps, "mace")
    with pytest.raises(InvalidInput, match="frozen when it is submitted for sign-off"):
        _freeze(deps, driver.reference)
    driver.advance("awaiting_sign_off")
    with pytest.raises(InvalidInput, match="can no longer change"):
        reports.save_narrative(
            deps, audit=driver.reference, actor=email("chair"), section="reflection", text="late"
        )

    frozen = _freeze(deps, driver.reference)
    assert (frozen.kind, frozen.version, frozen.status) == ("summary", 1, "frozen")
    assert frozen.content_hash == html_hash(HTML) and frozen.intact
    assert frozen.pdf == PDF and frozen.narrative == NARRATIVE
    assert frozen.figures is not None and frozen.figures.reference == driver.reference
    assert queries.history(deps, audit=driver.reference)[-1].trigger == "freeze_report"

    with pytest.raises(InvalidInput, match="already frozen"):
        _freeze(deps, driver.reference, html=HTML.replace("Summary", "Rewritten"))
    for statement in (
        "UPDATE report SET html = 'rewritten' WHERE status = 'frozen'",
        "UPDATE report SET status = 'draft'",
        "DELETE FROM report",
    ):
        with (
            pytest.raises(DBAPIError, match="frozen report cannot be changed"),
            engine.begin() as connection,
        ):
            connection.execute(text(statement))
    stored = report_store.latest(deps, audit=driver.reference)
    assert stored is not None and stored.html == HTML and stored.intact


def test_freezing_needs_every_section_and_the_narrative_it_was_rendered_from(
    partnership: Deps,
) -> None:
    deps = partnership
    driver = drafting(deps, "mace")
    reports.save_narrative(
        deps, audit=driver.reference, actor=email("chair"), section="reflection", text=" "
    )
    stale = reports.summary_source(deps, audit=driver.reference)
    driver.advance("awaiting_sign_off")
    with pytest.raises(InvalidInput, match="no text yet for: reflection"):
        _freeze(deps, driver.reference)
    with pytest.raises(InvalidInput, match="changed while the report was rendered"):
        reports.freeze(
            deps,
            audit=driver.reference,
            actor=email("chair"),
            kind="summary",
            html=HTML,
            pdf=None,
            figures=stale.figures,
            narrative=NARRATIVE,
        )


def test_further_assurance_opens_the_next_version_from_the_refused_words(
    partnership: Deps,
) -> None:
    deps = partnership
    driver = _submitted(deps)
    first = _freeze(deps, driver.reference)
    driver.fire("request_further_assurance")

    assert reports.summary_source(deps, audit=driver.reference).version == 2
    reports.save_narrative(
        deps,
        audit=driver.reference,
        actor=email("chair"),
        section="recommendations",
        text="- Resourced by the partnership from April",
    )
    driver.fire("resubmit_for_sign_off")
    second = _freeze(deps, driver.reference, html=HTML.replace("Summary", "Summary v2"))

    assert second.version == 2 and second.id != first.id
    assert second.narrative["working_well"] == NARRATIVE["working_well"]
    assert second.narrative["recommendations"] == "- Resourced by the partnership from April"
    versions = [
        (r.version, r.status, r.intact)
        for r in report_store.list_reports(deps, audit=driver.reference)
    ]
    assert versions == [(1, "frozen", True), (2, "frozen", True)]


def test_products_and_dissemination_come_from_the_signed_off_report(partnership: Deps) -> None:
    deps = partnership
    driver = _submitted(deps)
    reference = driver.reference
    summary = _freeze(deps, reference)

    def briefing() -> StoredReport:
        return reports.freeze(
            deps, audit=reference, actor=email("chair"), kind="briefing", html=HTML, pdf=None
        )

    with pytest.raises(InvalidInput, match="made from the signed-off summary"):
        briefing()
    with pytest.raises(InvalidInput, match="only a signed-off report is shared"):
        record_dissemination(
            deps,
            audit=reference,
            actor=email("coordinator"),
            kind="summary",
            audience="learning hub",
            channel="learning_hub",
        )
    driver.advance("dissemination")

    made = briefing()
    assert (made.kind, made.version, made.figures, made.agency) == (
        "briefing",
        1,
        summary.figures,
        None,
    )
    with pytest.raises(InvalidInput, match="already made and frozen"):
        briefing()
    with pytest.raises(NotFound, match="deep-dive setting"):
        reports.freeze(
            deps,
            audit=reference,
            actor=email("chair"),
            kind="feedback_letter",
            html=HTML,
            pdf=None,
            agency="police",
        )
    with pytest.raises(NotFound, match="frozen learning on a page"):
        record_dissemination(
            deps,
            audit=reference,
            actor=email("coordinator"),
            kind="learning_on_a_page",
            audience="practitioners",
            channel="website",
        )
    with pytest.raises(InvalidInput, match="channel is one of"):
        record_dissemination(
            deps, audit=reference, actor=email("chair"), kind="summary", audience="x", channel="fax"
        )

    for kind, audience, channel in (
        ("summary", "Learning hub,\n  March meeting", "learning_hub"),
        ("briefing", "OSCP website", "website"),
    ):
        record_dissemination(
            deps,
            audit=reference,
            actor=email("coordinator"),
            kind=kind,
            audience=audience,
            channel=channel,
        )
    shared = list_disseminations(deps, audit=reference)
    assert [(d.kind, d.version, d.audience, d.channel) for d in shared] == [
        ("summary", 1, "Learning hub, March meeting", "learning_hub"),
        ("briefing", 1, "OSCP website", "website"),
    ]
    assert {d.by for d in shared} == {person_name("coordinator")}
    reasons = [e.reason for e in queries.history(deps, audit=reference)[-2:]]
    assert reasons == ["Shared the summary by learning hub", "Shared the briefing by website"]


def test_a_sharing_recorded_by_one_request_is_recorded_once(partnership: Deps) -> None:
    # A flow run retried after its write committed brings the same key: it gets the record
    # it made, and neither a second record nor a second event.
    deps = partnership
    driver = _submitted(deps)
    _freeze(deps, driver.reference)
    driver.advance("dissemination")
    version = queries.audit_status(deps, audit=driver.reference, as_person=email("chair")).version

    def share(key: str) -> int:
        return record_dissemination(
            deps,
            audit=driver.reference,
            actor=email("coordinator"),
            kind="summary",
            audience="Learning hub",
            channel="email",
            request_key=key,
        )

    first = share("run-1")
    assert share("run-1") == first
    assert share("run-2") != first
    assert len(list_disseminations(deps, audit=driver.reference)) == 2
    after = queries.audit_status(deps, audit=driver.reference, as_person=email("chair")).version
    assert after == version + 2


def test_report_figures_hold_counts_never_free_text(
    partnership: Deps,
) -> None:
    deps = partnership
    driver = drafting(deps, "section_175", cast=PLANTED)
    figures = reports.summary_source(deps, audit=driver.reference).figures
    dumped = figures.model_dump_json()
    assert figures.returns_submitted == 3 and figures.deep_dive
    assert not any(s in dumped for s in SENTINELS)
    with deps.uow(readonly=True) as uow:
        planted = uow.connection.execute(
            select(t.answer.c.value).where(t.answer.c.value.contains(SENTINELS[0]))
        ).first()
        stored = uow.connection.execute(select(t.report.c.narrative)).scalars().all()
    assert planted is not None  # the sentinel is there to be leaked, and is not
    assert [json.loads(n) for n in stored] == [NARRATIVE]
