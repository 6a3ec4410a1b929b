"""Who reads an audit's page now that chairs and auditors sign in too: the coordinators and the
learning hub read every audit; an auditor reads only the audits where they are assigned a
case, and nobody else's is opened by signing in (need-to-know). A refusal is a 403 page, the
same whether or not the auditor is assigned elsewhere."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords
from tests.support.web import PASSWORD, sign_in


def _reads(client: TestClient, deps: Deps, local: str, reference: str) -> int:
    give_passwords(deps, PASSWORD, people=(local,))
    assert sign_in(client, email(local)).status_code == 303
    return client.get(f"/audits/{reference}").status_code


def test_an_auditor_reads_only_the_audits_they_audit(partnership: Deps, client: TestClient) -> None:
    theirs = drive(partnership, "mace", "returns_open").reference
    other = drive(partnership, "mace", "planning").reference
    assert _reads(client, partnership, "auditor.one", theirs) == 200
    refused = client.get(f"/audits/{other}")
    assert refused.status_code == 403
    assert "the audit's own chair and auditors" in html.unescape(refused.text)
    assert client.get(f"/audits/{other}/history").status_code == 403


def test_the_learning_hub_and_coordinators_read_every_audit(
    partnership: Deps, client: TestClient
) -> None:
    reference = drive(partnership, "mace", "planning").reference
    assert _reads(client, partnership, "lhm", reference) == 200
    assert _reads(client, partnership, "coordinator", reference) == 200
