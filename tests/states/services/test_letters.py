"""Section 175 feedback letters by link: each sampled setting's audit leads are e-mailed a
link to their own letter, once; the link reads that letter only (HTML or PDF), changes
nothing, lasts some weeks, and stops when a newer version of the letter is made."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from states.clock import FakeClock
from states.errors import InvalidInput, PermissionDenied, TokenExpired, TokenInvalid
from states.persistence import tables as t
from states.persistence.store import AuditStore
from states.persistence.vocabulary import LinkPurpose
from states.services import links, minting, queries
from states.services.deps import Deps
from states.services.dissemination import list_disseminations
from states.services.letters import Sent, letter_file, open_letter, send_feedback_letters
from states.services.shared_items import sharing_of
from tests.support.partnership import email
from tests.support.reporting import drafting, letters_of, s175_with_letters


def _queued(deps: Deps) -> list[tuple[str, int, str]]:
    """(recipient, letter id, agency named in the message) of each letter e-mail."""
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.person.c.email, t.outbox.c.subject_id, t.outbox.c.context)
            .join(t.person, t.person.c.id == t.outbox.c.recipient_id)
            .where(t.outbox.c.kind == "feedback_letter_ready", t.outbox.c.link_purpose == "letter")
        ).all()
    return [(e, int(s), json.loads(c)["agency"]) for e, s, c in rows]


def _taking_part(deps: Deps, reference: str) -> list[str]:
    with deps.uow(readonly=True) as uow:
        audit_id = AuditStore(uow.connection).load_audit(reference).id
        return list(
            uow.connection.execute(
                select(t.agency.c.code)
                .join(t.participation, t.participation.c.agency_id == t.agency.c.id)
                .where(t.participation.c.audit_id == audit_id)
            ).scalars()
        )


def _summary_id(deps: Deps, reference: str) -> int:
    with deps.uow(readonly=True) as uow:
        audit_id = AuditStore(uow.connection).load_audit(reference).id
        return int(
            uow.connection.execute(
                select(t.report.c.id).where(
                    t.report.c.audit_id == audit_id, t.report.c.kind == "summary_to_all"
                )
            ).scalar_one()
        )


def _mint(deps: Deps, reference: str, local: str, report_id: int) -> str | None:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        audit_id, person_id = store.load_audit(reference).id, store.load_actor(email(local)).id
    return minting.mint(
        deps,
        purpose=LinkPurpose.LETTER,
        audit_id=audit_id,
        person_id=person_id,
        report_id=report_id,
    )


def test_each_setting_is_sent_its_own_letter_once(partnership: Deps) -> None:
    deps = partnership
    reference = s175_with_letters(deps)
    letters = letters_of(deps, reference)
    assert len(letters) == 2
    sent = send_feedback_letters(deps, audit=reference, actor=email("coordinator"))
    assert sent == Sent(letters=2, summary_to=len(_taking_part(deps, reference)))
    queued = _queued(deps)
    by_letter = {letter: {to for to, i, _ in queued if i == letter} for letter in letters.values()}
    assert all(len(people) >= 1 for people in by_letter.values())
    assert not set.intersection(*by_letter.values())  # nobody gets another setting's link
    again = send_feedback_letters(deps, audit=reference, actor=email("coordinator"))
    assert again == Sent(letters=0, summary_to=0)
    assert len(_queued(deps)) == len(queued)
    shared = [d for d in list_disseminations(deps, audit=reference) if d.channel == "email"]
    assert sorted((d.kind, str(d.agency)) for d in shared) == sorted(
        [("feedback_letter", code) for code in letters] + [("summary_to_all", "None")]
    )
    assert [e.trigger for e in queries.history(deps, audit=reference)][-1] == (
        "send_feedback_letters"
    )


def test_letters_go_out_only_after_sign_off_and_only_by_organisers(partnership: Deps) -> None:
    deps = partnership
    driver = drafting(deps, "section_175")
    with pytest.raises(InvalidInput, match="letters go out once it is signed off"):
        send_feedback_letters(deps, audit=driver.reference, actor=email("coordinator"))
    reference = s175_with_letters(deps)
    with pytest.raises(PermissionDenied, match="only the chair or coordinator"):
        send_feedback_letters(deps, audit=reference, actor=email("lead.police"))


def test_a_link_reads_its_own_letter_only(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    reference = s175_with_letters(deps)
    letters = letters_of(deps, reference)
    mine, other = sorted(letters)
    lead = {"police": "lead.police", "csc": "lead.csc", "community_health": "lead.health"}
    assert _mint(deps, reference, lead[other], letters[mine]) is None  # not their setting
    assert _mint(deps, reference, "chair", letters[mine]) is None
    token = _mint(deps, reference, lead[mine], letters[mine])
    assert token is not None
    page = open_letter(deps, token)
    assert page.audit == reference and page.version == 1 and page.has_pdf
    letter = letter_file(deps, token)
    assert page.setting in letter.html and letter.pdf is not None
    assert letter.pdf.startswith(b"%PDF") and mine in letter.name
    assert open_letter(deps, token) == page  # reading changes nothing, and can be repeated
    with pytest.raises(TokenInvalid):
        links.open_link(deps, token, purpose=LinkPurpose.RETURN)
    clock.advance(timedelta(days=60))
    with pytest.raises(TokenExpired):
        open_letter(deps, token)


def test_every_setting_that_took_part_reads_the_summary_to_all(partnership: Deps) -> None:
    deps = partnership
    reference = s175_with_letters(deps)
    summary = _summary_id(deps, reference)
    taking_part = _taking_part(deps, reference)
    sampled = set(letters_of(deps, reference))
    assert set(taking_part) - sampled, "some settings took part without a letter"
    send_feedback_letters(deps, audit=reference, actor=email("coordinator"))
    with deps.uow(readonly=True) as uow:
        told = set(
            uow.connection.execute(
                select(t.agency.c.code)
                .join(t.person, t.person.c.agency_id == t.agency.c.id)
                .join(t.outbox, t.outbox.c.recipient_id == t.person.c.id)
                .where(t.outbox.c.kind == "settings_summary_ready")
            ).scalars()
        )
    assert told == set(taking_part)
    lead = {"police": "lead.police", "csc": "lead.csc", "community_health": "lead.health"}
    unsampled = next(code for code in taking_part if code not in sampled and code in lead)
    token = _mint(deps, reference, lead[unsampled], summary)
    assert token is not None
    page = open_letter(deps, token)
    assert page.kind == "summary_to_all"
    assert letter_file(deps, token).name == f"{reference}-summary-to-all-settings"
    assert _mint(deps, reference, "lead.schools", summary) is None  # did not take part


def test_sending_the_summary_to_every_setting_records_its_dissemination_item(
    partnership: Deps,
) -> None:
    """The engine sent it itself, so nobody records "summary to settings" by hand; the other
    items are still waiting for a person to record them."""
    deps = partnership
    reference = s175_with_letters(deps)
    assert "summary_to_settings" in [i.id for i in sharing_of(deps, audit=reference).waiting]
    send_feedback_letters(deps, audit=reference, actor=email("coordinator"))
    sharing = sharing_of(deps, audit=reference)
    done = {i.id: i.records for i in sharing.items if i.records}
    assert list(done) == ["summary_to_settings"]
    assert [r.channel for r in done["summary_to_settings"]] == ["email_to_settings"]
    assert sharing.waiting  # the learning hub, the website and the briefing are people's to do
