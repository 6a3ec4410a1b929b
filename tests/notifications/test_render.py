"""Rendering e-mails: every kind renders, only safe references get in, nothing a context
carries is evaluated or escapes its place, and the wording is pinned by snapshots."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment, UndefinedError, meta

from notifications.render import (
    REQUIRED_KEYS,
    RenderedMessage,
    _email_environment,
    london_date,
    render_message,
    step_words,
)
from states.persistence.notices import (
    ACCOUNT_KINDS,
    AUDIT_KINDS,
    CONTEXT_KEYS,
    KINDS,
    audit_context,
)

EXPECTED = Path(__file__).parent / "expected"
# Set to rewrite the snapshots after a deliberate change of wording; review the diff.
UPDATE = os.environ.get("OSCP_UPDATE_SNAPSHOTS") == "1"
BASE_URL = "https://oscp.example.org"
REFERENCE = "MACE-2026-004"
STEPS = {"reminder": "before:5", "overdue": "overdue:2", "escalation": "overdue:5"}
# Sentinels of the kind of data that must never be in an e-mail.
CHILD_DATA = {
    "child_name": "Sentinelchild Zqxname",
    "date_of_birth": "2014-02-29",
    "nhs_number": "943 476 5919",
}


# What a message about the reader's own account carries: no audit, counts and a time.
ACCOUNT_CONTEXT = {
    "failures": "12",
    "addresses": "3",
    "since": "2025-12-12T09:30:00+00:00",
    "link_path": "/account/password",
}


def full_context(kind: str) -> dict[str, str]:
    """Every allowed key, with the values a real message of this kind would carry."""
    if kind in ACCOUNT_KINDS:
        return dict(ACCOUNT_CONTEXT)
    return audit_context(
        REFERENCE,
        "Domestic abuse",
        audit_title="Thematic multi-agency case file audit (MACE)",
        state_title="Case audits open",
        deadline_at="2025-12-12T17:00:00+00:00",
        step=STEPS.get(kind, "on_day"),
        agency="Greater Manchester Police",
        agencies="Example Primary School; Example Early Years",
        decision="approve",
        # A deadline's calendar entry (deadline_moved, deadline_cancelled): an action's.
        calendar_entry="7",
        due="action",
        action="2",
        # The audit discussion meeting (meeting_invitation, meeting_updated, meeting_cancelled).
        starts_at="2025-12-12T10:00:00+00:00",
        ends_at="2025-12-12T12:00:00+00:00",
        place="Room 4, Civic Centre",
        online_link="https://meet.example.org/audit-discussion",
    )


def required_context(kind: str) -> dict[str, str]:
    full = full_context(kind)
    return {key: full[key] for key in REQUIRED_KEYS[kind]}


# What a real message of each kind carries beyond its required keys (immediate_risk_raised
# and assurance_received carry nothing more), so the snapshots read as people will see them.
SNAPSHOT_EXTRAS = {
    "audit_started": {"state_title": "Planning"},
    "return_requested": {
        "agency": "Greater Manchester Police",
        "audit_title": "Thematic multi-agency case file audit (MACE)",
        "state_title": "Case audits open",
    },
    "reminder": {"agency": "Greater Manchester Police", "state_title": "Case audits open"},
    "overdue": {"agency": "Greater Manchester Police", "state_title": "Case audits open"},
    "escalation": {"state_title": "Case audits open"},
    "sign_off_requested": {
        "audit_title": "Thematic multi-agency case file audit (MACE)",
        "state_title": "Awaiting sign-off",
    },
    "sign_off_decided": {"audit_title": "Thematic multi-agency case file audit (MACE)"},
    "further_assurance_requested": {
        "deadline_at": "2026-01-09T17:00:00+00:00",
        "state_title": "Further assurance requested",
    },
    **{
        kind: {"state_title": "Action plan, action 2", "link_path": f"/act/{'A' * 43}"}
        for kind in ("action_assigned", "action_returned")
    },
    "action_evidence_submitted": {"state_title": "Action plan, action 2"},
    "settings_summary_ready": {"agency": "Example Primary School", "link_path": f"/act/{'C' * 43}"},
    "returns_unasked": {
        "state_title": "Self-assessments open",
        "deadline_at": "2026-04-14T16:00:00+00:00",
    },
    "audit_withdrawn": {"state_title": "Withdrawn"},
    **{
        kind: {"place": "Room 4, Civic Centre", "online_link": "https://meet.example.org/x"}
        for kind in ("meeting_invitation", "meeting_updated")
    },
    # An agency's return moved, and an action's taken back (its agency and number).
    "deadline_moved": {"due": "return"},
    "deadline_cancelled": {"due": "action", "agency": "Greater Manchester Police", "action": "2"},
    "exception_raised": {
        "agency": "Greater Manchester Police",
        "audit_title": "Single-agency audit exception report",
        "state_title": "Exception report drafting",
    },
    "feedback_letter_ready": {
        "agency": "Example Primary School",
        "link_path": f"/act/{'B' * 43}",
    },
    "response_requested": {"state_title": "Assurance requested from the agency"},
}


def render(kind: str, context: dict[str, str], **kwargs: str) -> RenderedMessage:
    options = {"recipient_name": "Sam Patel", "base_url": BASE_URL, **kwargs}
    return render_message(kind, context, **options)


def test_every_kind_declares_what_it_needs() -> None:
    assert set(REQUIRED_KEYS) == set(KINDS)
    assert all(keys <= CONTEXT_KEYS for keys in REQUIRED_KEYS.values())


@pytest.mark.parametrize("kind", AUDIT_KINDS)
def test_every_kind_renders_subject_text_and_html(kind: str) -> None:
    message = render(kind, full_context(kind))
    link = f"{BASE_URL}/audits/{REFERENCE}"
    assert message.subject
    assert REFERENCE in message.subject
    for body in (message.text, message.html):
        assert REFERENCE in body
        assert "Domestic abuse" in body
        assert "Friday 12 December 2025" in body
        assert "Sam Patel" in body
        assert "carries no case details" in body
    assert link in message.text
    assert f'href="{link}"' in message.html
    assert message.html.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("kind", AUDIT_KINDS)
def test_every_kind_renders_with_only_its_required_keys(kind: str) -> None:
    message = render(kind, required_context(kind))
    assert REFERENCE in message.text
    assert "Type of audit" not in message.text


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_account_messages_render_without_an_audit(kind: str) -> None:
    message = render(kind, required_context(kind))
    link = f"{BASE_URL}/account/password"
    assert message.subject
    for body in (message.text, message.html):
        assert "Sam Patel" in body
        assert "12 failed attempts to sign in" in body
        assert "Friday 12 December 2025 at 09:30" in body
        assert "from 3 different network addresses" in body
        assert "Nothing is locked" in body
        assert "Audit reference" not in body
    assert link in message.text
    assert f'href="{link}"' in message.html
    assert message.html.startswith("<!DOCTYPE html>")


def test_one_failure_from_one_address_reads_in_the_singular() -> None:
    context = {**ACCOUNT_CONTEXT, "failures": "1", "addresses": "1"}
    message = render("sign_in_failures", context)
    for body in (message.text, message.html):
        assert "1 failed attempt to sign in" in body
        assert "from 1 network address." in body


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("failures", "many"),
        ("addresses", "-1"),
        ("since", "2025-12-12T09:30:00"),
        ("since", "yesterday"),
    ],
)
def test_account_counts_and_times_must_be_well_formed(key: str, value: str) -> None:
    with pytest.raises(ValueError, match=r"count|since"):
        render("sign_in_failures", {**ACCOUNT_CONTEXT, key: value})


def test_markup_in_the_recipient_name_is_escaped_in_account_messages() -> None:
    message = render("sign_in_failures", ACCOUNT_CONTEXT, recipient_name='<img src="x">')
    assert "<img" not in message.html
    assert "&lt;img src=&#34;x&#34;&gt;" in message.html


@pytest.mark.parametrize(
    ("kind", "key"), [(kind, key) for kind in KINDS for key in sorted(REQUIRED_KEYS[kind])]
)
def test_a_missing_required_key_is_refused(kind: str, key: str) -> None:
    context = full_context(kind)
    del context[key]
    with pytest.raises(ValueError, match=f"needs \\['{key}'\\]"):
        render(kind, context)


def test_templates_fail_loudly_on_a_value_they_were_not_given() -> None:
    # The backstop behind the REQUIRED_KEYS check: a template that uses an optional key
    # without testing for it fails instead of printing an empty string.
    with pytest.raises(UndefinedError):
        _email_environment().from_string("Due {{ deadline_at }}").render()


def test_templates_use_nothing_beyond_the_context_keys() -> None:
    environment = _email_environment()
    assert environment.loader is not None
    allowed = CONTEXT_KEYS | {"recipient_name", "sender_name", "link", "no_link", "subject"}
    names = environment.list_templates()
    for kind in KINDS:
        for suffix in (".subject.txt", ".txt", ".html"):
            assert f"email/{kind}{suffix}" in names
    for name in (n for n in names if n.startswith("email/")):  # report/ has its own context
        used = _variables(environment, name)
        assert used <= allowed, f"{name} uses {sorted(used - allowed)}"


def _variables(environment: Environment, name: str) -> set[str]:
    assert environment.loader is not None
    source, _, _ = environment.loader.get_source(environment, name)
    return meta.find_undeclared_variables(environment.parse(source))


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown message kind 'birthday'"):
        render("birthday", full_context("reminder"))


def test_an_unknown_key_is_refused() -> None:
    context = {**full_context("reminder"), "comment": "anything"}
    with pytest.raises(ValueError, match=r"may not carry \['comment'\]"):
        render("reminder", context)


@pytest.mark.parametrize("kind", KINDS)
def test_child_data_is_refused_and_not_echoed(kind: str) -> None:
    context = {**full_context(kind), **CHILD_DATA}
    with pytest.raises(ValueError, match="may not carry") as refused:
        render(kind, context)
    assert set(CHILD_DATA) <= set(re.findall(r"'(\w+)'", str(refused.value)))
    for value in CHILD_DATA.values():
        assert value not in str(refused.value)


def test_a_value_that_is_not_text_is_refused() -> None:
    context: dict[str, object] = {**full_context("reminder"), "step": 5}
    with pytest.raises(ValueError, match=r"\['step'\] are not"):
        render_message("reminder", context, recipient_name="Sam", base_url=BASE_URL)  # type: ignore[arg-type]


HOSTILE_THEME = "<script>alert(1)</script> {{ 7*7 }} {% if true %}x{% endif %}"


@pytest.mark.parametrize("kind", AUDIT_KINDS)
def test_markup_in_a_theme_is_escaped_in_html_and_literal_in_text(kind: str) -> None:
    message = render(kind, {**full_context(kind), "theme": HOSTILE_THEME})
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html
    assert HOSTILE_THEME in message.text
    for part in (message.subject, message.text, message.html):
        assert "{{ 7*7 }}" in part
        assert "49" not in part


def test_markup_in_the_recipient_name_is_escaped_in_html() -> None:
    message = render("reminder", full_context("reminder"), recipient_name='<img src="x">')
    assert "<img" not in message.html
    assert "&lt;img src=&#34;x&#34;&gt;" in message.html


def test_the_link_is_built_from_the_configured_base_url() -> None:
    message = render("reminder", full_context("reminder"), base_url="https://hub.example.org/oscp/")
    link = f"https://hub.example.org/oscp/audits/{REFERENCE}"
    assert link in message.text
    assert f'href="{link}"' in message.html
    for body in (message.text, message.html):
        assert {url for url in re.findall(r"https?://[^\s<\"]+", body)} == {link}


@pytest.mark.parametrize(
    "base_url", ["oscp.example.org", "javascript:alert(1)", "https://", "https://x.org/?a=1"]
)
def test_a_base_url_that_is_not_an_absolute_address_is_refused(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        render("reminder", full_context("reminder"), base_url=base_url)


@pytest.mark.parametrize("link_path", ["@evil.example/x", ".evil.example/x", "/a b", '/a"b', ""])
def test_a_link_path_that_could_change_the_host_is_refused(link_path: str) -> None:
    with pytest.raises(ValueError, match="link_path"):
        render("reminder", {**full_context("reminder"), "link_path": link_path})


@pytest.mark.parametrize("kind", AUDIT_KINDS)
def test_subjects_have_no_line_breaks_whatever_the_theme(kind: str) -> None:
    theme = "Domestic abuse\r\nBcc: x@example.org\u2028\x85\n"
    message = render(kind, {**full_context(kind), "theme": theme})
    assert "\r" not in message.subject
    assert "\n" not in message.subject
    assert message.subject.splitlines() == [message.subject]
    assert "Domestic abuse Bcc: x@example.org" in message.subject


@given(theme=st.text(min_size=1), name=st.text())
def test_no_theme_or_name_can_break_a_subject(theme: str, name: str) -> None:
    context = {**full_context("immediate_risk_raised"), "theme": theme, "agency": name}
    subject = render("immediate_risk_raised", context).subject
    assert subject.splitlines() == [subject]
    assert subject == subject.strip()


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        ("2025-12-12T17:00:00+00:00", "Friday 12 December 2025"),
        ("2025-12-12T17:00:00Z", "Friday 12 December 2025"),
        # 23:30 UTC is 00:30 the next day once British Summer Time has begun.
        ("2026-03-29T23:30:00+00:00", "Monday 30 March 2026"),
        ("2026-10-25T23:30:00+00:00", "Sunday 25 October 2026"),
    ],
)
def test_deadlines_are_shown_as_london_dates(instant: str, day: str) -> None:
    assert london_date(instant) == day


@pytest.mark.parametrize("instant", ["2025-12-12T17:00:00", "12/12/2025", "soon"])
def test_a_deadline_without_a_utc_offset_or_not_iso_is_refused(instant: str) -> None:
    with pytest.raises(ValueError, match="deadline_at"):
        london_date(instant)


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ("before:10", "due in 10 working days"),
        ("before:1", "due in 1 working day"),
        ("on_day", "due today"),
        ("overdue:1", "1 working day overdue"),
        ("overdue:2", "2 working days overdue"),
    ],
)
def test_reminder_steps_are_put_in_words(step: str, words: str) -> None:
    assert step_words(step) == words


@pytest.mark.parametrize("step", ["before:0", "overdue:-1", "after:2", "today", "before:5 "])
def test_an_unknown_step_is_refused(step: str) -> None:
    with pytest.raises(ValueError, match="step"):
        step_words(step)


def test_a_refused_sign_off_says_so() -> None:
    message = render("sign_off_decided", {**full_context("sign_off_decided"), "decision": "refuse"})
    assert message.subject.startswith("Not signed off")
    assert "asked for further assurance" in message.text
    assert "<strong>not signed off</strong>" in message.html


def test_an_unknown_decision_is_refused() -> None:
    with pytest.raises(ValueError, match="decision"):
        render("sign_off_decided", {**full_context("sign_off_decided"), "decision": "maybe"})


@pytest.mark.parametrize("kind", KINDS)
def test_text_wording_matches_the_snapshot(kind: str) -> None:
    message = render(kind, {**required_context(kind), **SNAPSHOT_EXTRAS.get(kind, {})})
    rendered = f"Subject: {message.subject}\n\n{message.text}\n"
    snapshot = EXPECTED / f"{kind}.txt"
    if UPDATE:
        snapshot.write_text(rendered, encoding="utf-8")
    assert rendered == snapshot.read_text(encoding="utf-8"), (
        "wording changed: if deliberate, rerun with OSCP_UPDATE_SNAPSHOTS=1 and review the diff"
    )
