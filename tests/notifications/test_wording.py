"""Counts and possessives read as English, in the e-mails and on the command line."""

from __future__ import annotations

from notifications.render import render_message
from notifications.wording import counted, plural, possessive

ESCALATION = {
    "audit": "AUD-TEST0001",
    "theme": "Domestic abuse",
    "link_path": "/a/AUD-TEST0001",
    "deadline_at": "2026-03-02T09:00:00+00:00",
    "step": "overdue:2",
}


def test_counts_take_the_noun_their_number_needs() -> None:
    assert [counted(n, "letter") for n in (0, 1, 2, 1200)] == [
        "0 letters",
        "1 letter",
        "2 letters",
        "1,200 letters",
    ]
    assert plural(1, "setting") == "setting" and plural(3, "copy", "copies") == "copies"


def test_a_name_ending_in_s_takes_the_apostrophe_alone() -> None:
    assert possessive("Northvale Police") == "Northvale Police's"
    assert possessive("Community health services") == "Community health services'"
    assert possessive(" Northvale Homes ") == "Northvale Homes'"
    curly = "\N{RIGHT SINGLE QUOTATION MARK}"
    assert possessive("Northvale CAMHS", curly) == f"Northvale CAMHS{curly}"


def test_an_email_names_an_agency_in_the_possessive() -> None:
    for agency, owned in (
        ("Community health services", "Community health services'"),
        ("Northvale Police", "Northvale Police's"),
    ):
        message = render_message(
            "escalation",
            {**ESCALATION, "agency": agency},
            recipient_name="Kit Farrow",
            base_url="https://oscp.example.org",
        )
        assert message.subject.startswith(f"Escalation: {owned} work on OSCP audit")
        assert f"{owned} part in audit" in message.text
        assert "services's" not in message.subject + message.text + message.html
        assert owned.replace("'", "\N{RIGHT SINGLE QUOTATION MARK}") + " part" in message.html


def test_a_name_is_escaped_in_the_html_possessive() -> None:
    message = render_message(
        "escalation",
        {**ESCALATION, "agency": "<b>Police</b>"},
        recipient_name="Kit Farrow",
        base_url="https://oscp.example.org",
    )
    assert "<b>Police" not in message.html
    assert "&lt;b&gt;Police&lt;/b&gt;\N{RIGHT SINGLE QUOTATION MARK}s part" in message.html
