"""What a sign-off link shows above its form, read through the engine: the version this round
froze, and after a refusal the version before it with what changed; only behind a link that
could still decide. Both stores."""

from __future__ import annotations

import pytest

from states.errors import AlreadyDecided, TokenInvalid
from states.persistence.store import AuditStore
from states.persistence.vocabulary import LinkPurpose
from states.rules.report_changes import Change, Paragraph
from states.services import audits, links, minting, report_store, reports
from states.services.deps import Deps
from states.services.sign_off_report import submitted_report
from tests.support.partnership import email
from tests.support.reporting import NARRATIVE, drafting

REWRITTEN = "Other children in the household were seen and heard in every case sampled."


def _link(deps: Deps, reference: str, member: str) -> str:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        audit_id, person_id = store.load_audit(reference).id, store.load_actor(email(member)).id
    token = minting.mint(deps, purpose=LinkPurpose.SIGN_OFF, audit_id=audit_id, person_id=person_id)
    assert token is not None
    return token


def test_the_link_shows_the_version_submitted(partnership: Deps) -> None:
    deps = partnership
    driver = drafting(deps, "mace")
    driver.advance("awaiting_sign_off")
    token = _link(deps, driver.reference, "lhm")
    shown = submitted_report(deps, token)
    assert shown.report == report_store.latest(deps, audit=driver.reference)
    assert shown.report is not None and shown.report.narrative == NARRATIVE
    assert (shown.previous, shown.changes) == (None, ())

    links.decide_sign_off(deps, token, decision="approve", comment=None)
    with pytest.raises(AlreadyDecided):
        submitted_report(deps, _link(deps, driver.reference, "lhm"))
    with pytest.raises(TokenInvalid):
        submitted_report(deps, "made-up")


def test_after_a_refusal_it_shows_what_changed_since_the_version_refused(
    partnership: Deps,
) -> None:
    deps = partnership
    driver = drafting(deps, "mace")
    driver.advance("further_assurance_requested")
    reports.save_narrative(
        deps,
        audit=driver.reference,
        actor=email("chair"),
        section="emerging_concerns",
        text=REWRITTEN,
    )
    audits.fire(
        deps,
        audit=driver.reference,
        trigger="resubmit_for_sign_off",
        actor=email("chair"),
        reason="Siblings evidenced",
    )
    shown = submitted_report(deps, _link(deps, driver.reference, "lsp.health"))
    assert shown.report is not None and shown.previous is not None
    assert (shown.previous.version, shown.report.version) == (1, 2)
    assert [c.section for c in shown.changes if c.changed] == ["emerging_concerns"]
    assert shown.changes[1].paragraphs == (
        Paragraph(Change.REMOVED, NARRATIVE["emerging_concerns"]),
        Paragraph(Change.ADDED, REWRITTEN),
    )
