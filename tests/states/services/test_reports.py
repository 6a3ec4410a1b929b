"""Summary reports in the engine: who may write the narrative and when; submitting for
sign-off needs all four sections and freezes that version with its hash, which the database
keeps unchanged; a resubmission after further assurance freezes the next version; nothing
changes after sign-off; products only from the signed-off version, whatever the audit holds
now; and dissemination records. Both stores."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from states.errors import GateBlocked, InvalidInput, NotFound, PermissionDenied
from states.persistence import tables as t
from states.rules import report_content
from states.services import audits, queries, report_store, reports
from states.services.deps import Deps
from states.services.dissemination import list_disseminations, record_dissemination
from states.services.freezing import freeze_summary
from states.services.report_store import StoredReport
from tests.support.driver import Driver
from tests.support.partnership import email, person_name
from tests.support.reporting import NARRATIVE, PLANTED, SENTINELS, drafting

HTML = "<!DOCTYPE html><html><body><h1>Summary</h1></body></html>"
PDF = b"%PDF-1.7 stand-in"


def _submitted(deps: Deps, audit_type: str = "mace") -> Driver:
    driver = drafting(deps, audit_type)
    driver.advance("awaiting_sign_off")
    return driver


def _frozen(deps: Deps, reference: str) -> StoredReport:
    found = report_store.latest(deps, audit=reference)
    assert found is not None
    return found


def _briefing(deps: Deps, reference: str) -> StoredReport:
    return reports.freeze_product(
        deps, audit=reference, actor=email("chair"), kind="briefing", html=HTML, pdf=None
    )


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


def test_submitting_freezes_the_version_with_its_hash_and_it_never_changes(
    partnership: Deps, engine: Engine
) -> None:
    deps = partnership
    driver = drafting(deps, "mace")
    with pytest.raises(InvalidInput, match="frozen when it is submitted for sign-off"):
        freeze_summary(deps, audit=driver.reference, actor=email("chair"))
    assert report_store.latest(deps, audit=driver.reference) is None
    driver.advance("awaiting_sign_off")

    frozen = _frozen(deps, driver.reference)
    assert (frozen.kind, frozen.version, frozen.status) == ("summary", 1, "frozen")
    assert frozen.narrative == NARRATIVE and frozen.frozen_by == person_name("chair")
    assert frozen.figures is not None and frozen.figures.reference == driver.reference
    assert frozen.frozen_at == deps.clock.now()
    # Content, not a rendering: the hash is over the canonical version, sections and figures.
    assert frozen.html is None and frozen.pdf is None and frozen.intact
    with deps.uow(readonly=True) as uow:
        figures_json = uow.connection.execute(
            select(t.report.c.figures).where(t.report.c.id == frozen.id)
        ).scalar_one()
    canonical = report_content.canonical(
        reference=driver.reference, version=1, narrative=NARRATIVE, figures_json=figures_json
    )
    assert frozen.content_hash == hashlib.sha256(canonical).hexdigest()
    submitted = queries.history(deps, audit=driver.reference)[-1]
    assert submitted.trigger == "submit_for_sign_off" and frozen.content_hash is not None
    assert submitted.reason == (
        f"Summary report version 1 frozen, sha256 {frozen.content_hash[:16]}"
    )

    with pytest.raises(InvalidInput, match="has gone for sign-off, so it can no longer change"):
        reports.save_narrative(
            deps, audit=driver.reference, actor=email("chair"), section="reflection", text="late"
        )
    again = freeze_summary(deps, audit=driver.reference, actor=email("chair"))
    assert not again.now and again.report.id == frozen.id
    for statement in (
        "UPDATE report SET narrative = '{}' WHERE status = 'frozen'",
        "UPDATE report SET status = 'draft'",
        "DELETE FROM report",
    ):
        with (
            pytest.raises(DBAPIError, match="frozen report cannot be changed"),
            engine.begin() as connection,
        ):
            connection.execute(text(statement))
    # The same content read again, on either store, hashes the same.
    assert _frozen(deps, driver.reference) == frozen


def test_submitting_needs_every_section_and_names_those_empty(partnership: Deps) -> None:
    deps = partnership
    driver = drafting(deps, "mace")
    for section in ("emerging_concerns", "reflection"):
        reports.save_narrative(
            deps, audit=driver.reference, actor=email("chair"), section=section, text="  "
        )
    status = queries.audit_status(deps, audit=driver.reference, as_person=email("chair"))
    (step,) = [s for s in status.next_steps if s.trigger == "submit_for_sign_off"]
    said = (
        "the summary report has no text yet for emerging concerns and reflection on the "
        "process of the audit"
    )
    assert [(f.gate, f.reason) for f in step.blocked_by] == [("report_written", said)]
    with pytest.raises(GateBlocked, match=f"report_written: {said}"):
        audits.fire(
            deps, audit=driver.reference, trigger="submit_for_sign_off", actor=email("chair")
        )
    assert driver.state() == "report_drafting"
    assert report_store.latest(deps, audit=driver.reference) is None


def test_a_resubmission_freezes_the_next_version_from_the_refused_words(
    partnership: Deps,
) -> None:
    deps = partnership
    driver = _submitted(deps)
    first = _frozen(deps, driver.reference)
    driver.fire("request_further_assurance")

    assert reports.summary_source(deps, audit=driver.reference).version == 2
    assert _frozen(deps, driver.reference) == first  # the refused version stays as it was
    reports.save_narrative(
        deps,
        audit=driver.reference,
        actor=email("chair"),
        section="recommendations",
        text="- Resourced by the partnership from April",
    )
    reports.save_narrative(
        deps, audit=driver.reference, actor=email("chair"), section="reflection", text=" "
    )
    with pytest.raises(GateBlocked, match="no text yet for reflection on the process"):
        audits.fire(
            deps,
            audit=driver.reference,
            trigger="resubmit_for_sign_off",
            actor=email("chair"),
            reason="Answered",
        )
    reports.save_narrative(
        deps, audit=driver.reference, actor=email("chair"), section="reflection", text="Kept."
    )
    driver.fire("resubmit_for_sign_off")
    second = _frozen(deps, driver.reference)

    assert second.version == 2 and second.id != first.id and second.intact
    assert second.content_hash != first.content_hash
    assert second.narrative == {
        **NARRATIVE,
        "recommendations": "- Resourced by the partnership from April",
        "reflection": "Kept.",
    }
    resubmitted = queries.history(deps, audit=driver.reference)[-1]
    assert second.content_hash is not None
    assert resubmitted.reason == (
        f"Recorded by the test driver (summary report version 2 frozen, sha256 "
        f"{second.content_hash[:16]})"
    )
    versions = [
        (r.version, r.status, r.intact)
        for r in report_store.list_reports(deps, audit=driver.reference)
    ]
    assert versions == [(1, "frozen", True), (2, "frozen", True)]


def test_a_signed_off_report_cannot_be_edited(partnership: Deps) -> None:
    deps = partnership
    driver = _submitted(deps)
    driver.advance("actions_agreed")
    with pytest.raises(InvalidInput) as refused:
        reports.save_narrative(
            deps, audit=driver.reference, actor=email("chair"), section="reflection", text="x"
        )
    assert str(refused.value) == (
        f"Audit {driver.reference}'s summary report was signed off as version 1, so it can no "
        "longer change: its briefing, learning on a page and letters are made from that version."
    )
    assert _frozen(deps, driver.reference).narrative == NARRATIVE


def test_products_are_made_from_the_frozen_version_not_what_the_audit_holds_now(
    partnership: Deps, engine: Engine
) -> None:
    deps = partnership
    driver = _submitted(deps)
    frozen = _frozen(deps, driver.reference)
    driver.advance("dissemination")
    # Behind the services' back: a stray draft of a next version, and findings changed.
    with engine.begin() as c:
        audit_id = c.execute(
            select(t.audit.c.id).where(t.audit.c.reference == driver.reference)
        ).scalar_one()
        c.execute(
            insert(t.report),
            {
                "audit_id": audit_id,
                "kind": "summary",
                "version": 2,
                "narrative": json.dumps({**NARRATIVE, "working_well": "Rewritten later"}),
                "updated_at": deps.clock.now(),
                "updated_by": frozen_by_id(c, frozen.id),
            },
        )
        c.execute(update(t.finding).where(t.finding.c.audit_id == audit_id).values(kind="gap"))
    assert reports.summary_source(deps, audit=driver.reference).figures != frozen.figures

    made = _briefing(deps, driver.reference)
    assert (made.version, made.narrative, made.figures) == (1, NARRATIVE, frozen.figures)
    assert _frozen(deps, driver.reference) == frozen


def test_a_section_175_signed_off_is_frozen_and_makes_its_letters(partnership: Deps) -> None:
    # Signed off through the links' rule, with nobody freezing anything by hand: the version
    # submitted is the one each sampled setting's letter is made from.
    deps = partnership
    driver = drafting(deps, "section_175")
    driver.advance("dissemination")
    summary = _frozen(deps, driver.reference)
    assert summary.figures is not None and summary.figures.deep_dive
    for setting in summary.figures.deep_dive:
        letter = reports.freeze_product(
            deps,
            audit=driver.reference,
            actor=email("coordinator"),
            kind="feedback_letter",
            html=HTML,
            pdf=PDF,
            agency=setting.code,
        )
        assert (letter.version, letter.agency, letter.status) == (1, setting.code, "frozen")
        assert (letter.narrative, letter.figures) == (summary.narrative, summary.figures)


def frozen_by_id(c: Connection, report_id: int) -> int:
    return int(
        c.execute(select(t.report.c.frozen_by).where(t.report.c.id == report_id)).scalar_one()
    )


def test_products_and_dissemination_come_from_the_signed_off_report(partnership: Deps) -> None:
    deps = partnership
    driver = _submitted(deps)
    reference = driver.reference
    summary = _frozen(deps, reference)

    def briefing() -> StoredReport:
        return _briefing(deps, reference)

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
    with pytest.raises(InvalidInput, match="A product is one of"):
        reports.freeze_product(
            deps, audit=reference, actor=email("chair"), kind="summary", html=HTML, pdf=PDF
        )
    with pytest.raises(NotFound, match="deep-dive setting"):
        reports.freeze_product(
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
