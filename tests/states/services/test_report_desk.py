"""What the report editor and the sharing page read (issue 17, items 6 and 7), and saving the
four sections at once: only the report's writers read the editor and only the organisers the
sharing page (``PermissionDenied`` otherwise); the editor says where the report stands, which
step sends it for sign-off (with a reason after a refusal) and what changed since the version
sent back; the sharing page lists the products made from the signed-off version. Both
stores."""

from __future__ import annotations

import pytest

from notifications.publishing import make_products
from states.clock import LONDON
from states.errors import InvalidInput, NotFound, PermissionDenied
from states.rules.report_changes import Change
from states.services import audits, queries, reports
from states.services.deps import Deps
from states.services.report_desk import (
    ReportStage,
    product_of,
    report_desk,
    require_organiser,
    require_writer,
    sharing_desk,
)
from tests.support.driver import REPORT, drive
from tests.support.partnership import email

CHAIR, COORDINATOR, LHM = email("chair"), email("coordinator"), email("lhm")
WORDS = {
    "working_well": "Strategy meetings were held on time.",
    "emerging_concerns": "Siblings were not always seen.",
    "recommendations": "- Record the lived experience of every child",
    "reflection": "The tool worked well.",
}


def test_the_editor_while_drafting(partnership: Deps) -> None:
    reference = drive(partnership, "mace", "report_drafting").reference
    desk = report_desk(partnership, audit=reference, viewer=CHAIR)
    assert desk.stage == ReportStage.WRITING and desk.words.editable
    assert desk.words.version == 1
    assert desk.submission is not None
    assert desk.submission.trigger == "submit_for_sign_off"
    assert not desk.submission.needs_reason
    assert desk.previous_version is None and desk.changes == ()
    assert desk.figures.reference == reference and desk.figures.by_agency
    # The coordinator writes it too; a learning hub member who is not the chair does not.
    assert report_desk(partnership, audit=reference, viewer=COORDINATOR).words.editable
    for read in (report_desk, require_writer, sharing_desk, require_organiser):
        with pytest.raises(PermissionDenied, match="only the chair or coordinator may"):
            read(partnership, audit=reference, viewer=LHM)


def test_the_four_sections_saved_as_one_change(partnership: Deps) -> None:
    reference = drive(partnership, "mace", "report_drafting").reference
    before = len(queries.history(partnership, audit=reference))
    version = reports.save_sections(partnership, audit=reference, actor=CHAIR, sections=WORDS)
    assert version == 1
    assert reports.narrative_of(partnership, audit=reference).sections == WORDS
    history = queries.history(partnership, audit=reference)
    assert len(history) == before + 1
    assert history[-1].reason == (
        "Summary report sections 'working_well', 'emerging_concerns', 'recommendations', "
        "'reflection' saved"
    )
    # One section, as ``oscp report draft`` saves it, leaves the others as they were.
    reports.save_narrative(
        partnership, audit=reference, actor=CHAIR, section="reflection", text="Shorter."
    )
    assert reports.narrative_of(partnership, audit=reference).sections == {
        **WORDS,
        "reflection": "Shorter.",
    }
    with pytest.raises(InvalidInput, match="A summary report section is one of"):
        reports.save_sections(partnership, audit=reference, actor=CHAIR, sections={"x": "y"})
    with pytest.raises(InvalidInput, match="Name a section to save"):
        reports.save_sections(partnership, audit=reference, actor=CHAIR, sections={})
    with pytest.raises(PermissionDenied):
        reports.save_sections(partnership, audit=reference, actor=LHM, sections=WORDS)


def test_gone_for_sign_off_then_sent_back(partnership: Deps) -> None:
    driver = drive(partnership, "mace", "awaiting_sign_off")
    reference = driver.reference
    desk = report_desk(partnership, audit=reference, viewer=CHAIR)
    assert desk.stage == ReportStage.AWAITING_SIGN_OFF and not desk.words.editable
    assert desk.submission is None
    with pytest.raises(InvalidInput, match="has gone for sign-off"):
        reports.save_sections(partnership, audit=reference, actor=CHAIR, sections=WORDS)

    driver.advance("further_assurance_requested")
    desk = report_desk(partnership, audit=reference, viewer=CHAIR)
    assert desk.stage == ReportStage.WRITING and desk.words.version == 2
    assert desk.submission is not None and desk.submission.needs_reason
    assert desk.submission.trigger == "resubmit_for_sign_off"
    assert desk.previous_version == 1
    assert not any(s.changed for s in desk.changes)  # version 2 starts from the refused words

    rewritten = "- Resourced from April by each agency"
    reports.save_sections(
        partnership, audit=reference, actor=CHAIR, sections={"recommendations": rewritten}
    )
    audits.fire(
        partnership,
        audit=reference,
        trigger="resubmit_for_sign_off",
        actor=CHAIR,
        reason="Resourcing shown",
    )
    desk = report_desk(partnership, audit=reference, viewer=CHAIR)
    assert desk.stage == ReportStage.AWAITING_SIGN_OFF and desk.previous_version == 1
    changed = {s.section: s for s in desk.changes}["recommendations"]
    assert [(p.change, p.text) for p in changed.paragraphs] == [
        (Change.REMOVED, REPORT["recommendations"]),
        (Change.ADDED, rewritten),
    ]


def test_withdrawn_it_is_closed(partnership: Deps) -> None:
    reference = drive(partnership, "mace", "report_drafting").reference
    audits.fire(
        partnership, audit=reference, trigger="withdraw", actor=COORDINATOR, reason="Merged"
    )
    assert report_desk(partnership, audit=reference, viewer=CHAIR).stage == ReportStage.CLOSED


def test_the_sharing_desk_and_its_products(partnership: Deps) -> None:
    waiting = drive(partnership, "mace", "awaiting_sign_off").reference
    desk = sharing_desk(partnership, audit=waiting, viewer=COORDINATOR)
    assert not desk.publishable and desk.products == ()
    assert desk.state_title and desk.sharing.declared

    reference = drive(partnership, "mace", "actions_agreed").reference
    assert report_desk(partnership, audit=reference, viewer=CHAIR).stage == (ReportStage.SIGNED_OFF)
    desk = sharing_desk(partnership, audit=reference, viewer=CHAIR)
    assert desk.publishable and desk.summary_version == 1 and desk.products == ()
    assert desk.today == partnership.clock.now().astimezone(LONDON).date()
    with pytest.raises(NotFound):
        product_of(partnership, audit=reference, viewer=CHAIR, kind="briefing")

    make_products(partnership, audit=reference, actor=COORDINATOR)
    desk = sharing_desk(partnership, audit=reference, viewer=CHAIR)
    assert [(p.kind, p.agency, p.version, p.has_pdf) for p in desk.products] == [
        ("briefing", None, 1, True),
        ("learning_on_a_page", None, 1, True),
    ]
    briefing = product_of(partnership, audit=reference, viewer=CHAIR, kind="briefing")
    assert briefing.html is not None and briefing.kind == "briefing"
    with pytest.raises(NotFound):
        product_of(partnership, audit=reference, viewer=CHAIR, kind="summary")
    with pytest.raises(PermissionDenied):
        product_of(partnership, audit=reference, viewer=LHM, kind="briefing")
