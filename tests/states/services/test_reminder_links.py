"""Late reminders carry a fresh link (issue 16, item 10), on both stores: an overdue reminder
to an agency lead who still owes a return carries a link minted as it is sent, good for as
long after sending as one sent on time, however late; nobody is sent ``/audits/REF``, which
only those who sign in can open: an agency's strategic lead, told over its lead's head, is
told there is no link and why, while the chair (who signs in) keeps the audit's page."""

from __future__ import annotations

import re
from datetime import timedelta

from notifications.relay import relay
from states.clock import FakeClock
from states.persistence.vocabulary import LinkPurpose
from states.services import links
from states.services.deps import Deps
from states.services.link_rules import working_days_after
from states.services.sweep import sweep
from tests.support.driver import drive
from tests.support.partnership import email
from tests.support.relay import CONFIG
from tests.support.smtp import Recorder, mailer, smtp_server, text_of

ACT = re.compile(r"/act/([A-Za-z0-9_-]{43})")


def _sent(deps: Deps) -> dict[str, list[str]]:
    """Each recipient's e-mails, as plain text, from a real SMTP server."""
    recorder = Recorder()
    with smtp_server(recorder) as port:
        relay(deps, mailer(port), config=CONFIG, batch=500)
    sent: dict[str, list[str]] = {}
    for message in recorder.received:
        address = message["To"].addresses[0].addr_spec
        sent.setdefault(address, []).append(f"{message['Subject']}\n{text_of(message)}")
    return sent


def test_an_overdue_reminder_long_after_the_deadline_carries_a_fresh_link(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = drive(deps, "mace", "returns_open").reference
    _sent(deps)  # the return requests, sent on time
    clock.advance(timedelta(days=60))  # weeks of downtime: the links sent on time have expired
    sweep(deps)
    sent = _sent(deps)

    (overdue,) = [m for m in sent[email("lead.police")] if m.startswith("Overdue")]
    assert "/audits/" not in overdue and "has no link" not in overdue
    token = ACT.search(overdue)
    assert token is not None, "the reminder carries the lead's own link"
    page = links.open_link(deps, token[1], purpose=LinkPurpose.RETURN)
    assert page.audit == reference and page.agency == "police"
    # Good for the declared ten working days from when it was sent, not from the deadline.
    assert page.expires_at == working_days_after(deps, clock.now(), 10)

    (escalated,) = sent[email("lsp.police")]
    assert escalated.startswith("Escalation")
    assert "/audits/" not in escalated and ACT.search(escalated) is None
    assert "has no link because the audit's own pages are open only to" in escalated
    assert "ask Northvale Police's audit lead, who is sent their own link" in escalated
    escalations = [m for m in sent[email("chair")] if m.startswith("Escalation")]
    assert len(escalations) == 3, "one for each agency still owing"
    assert all(f"/audits/{reference}" in m for m in escalations), "the chair signs in"
