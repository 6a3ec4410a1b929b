"""Helpers for the web tests: minting links the way the relay does, reading forms back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from oscp_flow.rehearsal.demo import email
from oscp_flow.rehearsal.walkthrough import complete_answers, rehearse
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.store import AuditStore
from states.persistence.vocabulary import LinkPurpose
from states.services import actions, audits, minting, queries, reports, work
from states.services.deps import Deps

BASE = "https://oscp.example.org"
MEMBERS = ("lhm", "lsp.council", "lsp.police", "lsp.health")
PAYLOADS = (
    "{{7*7}}",
    "<script>alert('x')</script>",
    "{% raw %}kept{% endraw %}",
    '"><img src=x onerror=alert(1)>',
)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def person(deps: Deps, local: str) -> int:
    with deps.uow(readonly=True) as uow:
        return AuditStore(uow.connection).load_actor(email(local)).id


def audit_id(deps: Deps, reference: str) -> int:
    with deps.uow(readonly=True) as uow:
        return AuditStore(uow.connection).load_audit(reference).id


def mint(deps: Deps, purpose: LinkPurpose, reference: str, local: str, **extra: int) -> str:
    token = minting.mint(
        deps,
        purpose=purpose,
        audit_id=audit_id(deps, reference),
        person_id=person(deps, local),
        **extra,
    )
    assert token is not None
    return token


def sign_off_links(deps: Deps) -> tuple[str, dict[str, str]]:
    reference = rehearse(deps, "mace", goal="awaiting_sign_off").reference
    return reference, {m: mint(deps, LinkPurpose.SIGN_OFF, reference, m) for m in MEMBERS}


# What the chair rewrote after a refusal, and the paragraph it replaced.
REWRITTEN = "- Every agency records the child's lived experience, resourced from April"
REPLACED = "- Escalate drift in plans to the strategic lead"


def resubmitted_links(deps: Deps) -> tuple[str, dict[str, str]]:
    """A MACE whose report was refused at sign-off, changed by the chair (one recommendation
    rewritten) and resubmitted, with each member's link to the second version."""
    reference = rehearse(deps, "mace", goal="further_assurance_requested").reference
    words = reports.summary_source(deps, audit=reference).narrative["recommendations"]
    assert REPLACED in words
    reports.save_narrative(
        deps,
        audit=reference,
        actor=email("chair"),
        section="recommendations",
        text=words.replace(REPLACED, REWRITTEN),
    )
    audits.fire(
        deps,
        audit=reference,
        trigger="resubmit_for_sign_off",
        actor=email("chair"),
        reason="The resourcing is evidenced",
    )
    return reference, {m: mint(deps, LinkPurpose.SIGN_OFF, reference, m) for m in MEMBERS}


def return_link(deps: Deps, audit_type: str, local: str = "lead.police") -> tuple[str, str]:
    reference = rehearse(deps, audit_type, goal="returns_open").reference
    return reference, mint(deps, LinkPurpose.RETURN, reference, local)


def assurance_link(deps: Deps) -> tuple[str, str]:
    reference = rehearse(deps, "mace", goal="returns_open").reference
    escalation = work.raise_immediate_risk(
        deps,
        audit=reference,
        actor=email("auditor.two"),
        agency="police",
        concern="SECRET-CONCERN-TEXT strategy discussion did not happen",
    )
    return reference, mint(
        deps, LinkPurpose.ASSURANCE, reference, "lsp.police", escalation_id=escalation
    )


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "the page has no form token"
    return found[1]


def answers_form(answers: Mapping[str, object]) -> dict[str, str]:
    return {f"q.{question}": str(value) for question, value in answers.items()}


def complete_form(deps: Deps, tool_name: str) -> dict[str, str]:
    tool = deps.catalogue.tool(tool_name)
    assert tool is not None
    return answers_form(complete_answers(tool))


def used_at(deps: Deps, token: str) -> object:
    with deps.uow(readonly=True) as uow:
        return uow.connection.execute(
            select(t.token.c.used_at).where(t.token.c.token_hash == tokens.digest(token))
        ).scalar_one()


def token_events(deps: Deps, outcome: str | None = None) -> int:
    """How many refusals were recorded (each link's row counts its refusals)."""
    statement = select(func.coalesce(func.sum(t.token_event.c.times), 0))
    if outcome is not None:
        statement = statement.where(t.token_event.c.outcome == outcome)
    with deps.uow(readonly=True) as uow:
        return int(uow.connection.execute(statement).scalar_one())


def history(deps: Deps, reference: str) -> list[tuple[str, str]]:
    return [(e.trigger, e.to_state) for e in queries.history(deps, audit=reference)]


def state(deps: Deps, reference: str) -> str:
    return queries.history(deps, audit=reference)[-1].to_state


def action_link(
    deps: Deps, local: str = "lead.police", recommendation: str = ""
) -> tuple[str, str]:
    """A signed-off audit whose plan gives the police action 1 (and social care action 2),
    and ``local``'s link to action 1."""
    reference = rehearse(deps, "mace", goal="actions_agreed").reference
    due = deps.clock.now().date() + timedelta(days=30)
    for owner in ("police", "csc"):
        actions.add_action(
            deps,
            audit=reference,
            actor=email("chair"),
            recommendation=recommendation or f"Review the {owner} referral pathway",
            owner=owner,
            due_on=due,
        )
    return reference, action_token(deps, reference, local)


def action_token(deps: Deps, reference: str, local: str, number: int = 1) -> str:
    """``local``'s link to action ``number``, as the relay mints it for an e-mail."""
    with deps.uow(readonly=True) as uow:
        action_id = uow.connection.execute(
            select(t.action.c.id).where(
                t.action.c.audit_id == audit_id(deps, reference), t.action.c.number == number
            )
        ).scalar_one()
    return mint(deps, LinkPurpose.ACTION, reference, local, action_id=int(action_id))


def post_from(
    client: TestClient, page: str, action: str, form: Mapping[str, object]
) -> httpx2.Response:
    """A form posted as a browser posts it: ``page`` opened first for its form token (and
    the cookie it sets), then ``form`` sent to ``action``, the answer not followed."""
    token = csrf_of(client.get(page).text)
    return client.post(action, data={"csrf_token": token, **form}, follow_redirects=False)
