"""The audit page's action forms: the chair or coordinator adds an action once the report
is signed off; a learning hub member or the coordinator reviews an action's evidence. Each
ends back on the audit's page: saying what was done, or with the form refused beside its
fields and what was typed kept."""

from __future__ import annotations

import logging
from datetime import date

from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.coordinator_views import Links, Problem, audit_page
from states.errors import AuditEngineError
from states.services import actions
from states.services.web_sessions import Viewer

log = logging.getLogger("oscp_flow.web.coordinator")
ADDING = 0  # the form number of "add an action" (reviews use the action's number)


def review_action(
    ctx: WebContext, viewer: Viewer, reference: str, number: int, form: FormData
) -> Response:
    """Accept an action's evidence, or send it back with a reason."""
    decision, reason = str(form.get("decision", "")), str(form.get("reason", "")).strip()
    error = _review_problem(decision, reason)
    if error is None:
        try:
            if decision == "accept":
                actions.accept_evidence(ctx.deps, audit=reference, actor=viewer.id, number=number)
            else:
                actions.refuse_evidence(
                    ctx.deps, audit=reference, actor=viewer.id, number=number, reason=reason
                )
        except AuditEngineError as refused:
            error = str(refused)
    if error is not None:
        typed = {"decision": decision, "reason": reason}
        return audit_page(ctx, viewer, reference, problem=Problem(number, error, typed))
    log.info("person %d reviewed action %d of audit %s", viewer.id, number, reference)
    return _back(ctx, reference, "accepted" if decision == "accept" else "sent_back", number)


def add_action(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    """One of the report's recommendations becomes an action for an agency, due by a date;
    the agency's leads are e-mailed it with their own link."""
    typed = {key: str(form.get(key, "")).strip() for key in ("recommendation", "owner", "due")}
    due, error = _due(typed["due"])
    if error is None and not typed["owner"]:
        error = "Choose the agency that owns the action."
    if error is None and due is not None:
        try:
            number = actions.add_action(
                ctx.deps,
                audit=reference,
                actor=viewer.id,
                recommendation=typed["recommendation"],
                owner=typed["owner"],
                due_on=due,
            )
        except AuditEngineError as refused:
            error = str(refused)
        else:
            log.info("person %d added action %d to audit %s", viewer.id, number, reference)
            return _back(ctx, reference, "added", number)
    assert error is not None
    return audit_page(ctx, viewer, reference, problem=Problem(ADDING, error, typed))


def _due(text: str) -> tuple[date | None, str | None]:
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, "Enter the due date as a date, for example 2027-03-31."


def _review_problem(decision: str, reason: str) -> str | None:
    if decision not in ("accept", "send_back"):
        return "Choose whether to accept the evidence or send it back."
    if decision == "send_back" and not reason:
        return "Say why the evidence does not yet show the action's impact."
    if len(reason) > actions.MAX_TEXT:
        return f"Keep the reason under {actions.MAX_TEXT:,} characters."
    return None


def _back(ctx: WebContext, reference: str, what: str, number: int) -> Response:
    audit = Links(ctx.pages.paths.prefix).audit(reference)
    return RedirectResponse(f"{audit}?{what}={number}#actions", status_code=303)
