"""The stages page and withdrawal: each step the audit can take next, as a form with its
button named after the step, what blocks it before anyone presses, and withdrawing the
audit behind an "are you sure" page with its reason.

Every step is taken through ``states.services.steps.take_step``, which fires it as ``oscp
audit fire`` does. Each form carries the audit's version as the page showed it, so a form
sent twice (a double click) takes its step once, and a move by someone else since is refused
in words. A step for another role is a 403 (the service's ``PermissionDenied``), never a form
error. A blocked step comes back beside its own form, in plain words, with the reason typed
kept.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.common import Refusal, back_to, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from oscp_flow.web.return_form import ErrorLink
from states.errors import AuditEngineError, GateBlocked, PermissionDenied
from states.rules.steps import reason_missing, refused_sentence
from states.services import steps
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes.py imports this module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
STAGES, WITHDRAW = "stages", "withdraw"
STEP = "step"
MAX_VERSION_DIGITS = 9


def add_routes(router: APIRouter, area: Area) -> None:
    ctx = area.ctx

    async def page(request: Request, reference: str) -> Response:
        done = request.query_params.get("done")
        return await area.show(request, lambda v: stages_page(ctx, v, reference, done=done))

    async def step(request: Request, reference: str) -> Response:
        return await area.posted(request, lambda v, form: take(ctx, v, reference, form))

    async def withdrawal(request: Request, reference: str) -> Response:
        return await area.show(request, lambda v: withdraw_page(ctx, v, reference))

    async def withdraw(request: Request, reference: str) -> Response:
        return await area.posted(request, lambda v, form: take_withdrawal(ctx, v, reference, form))

    reading = ["GET", "HEAD"]
    router.add_api_route(f"/audits/{{reference}}/{STAGES}", page, methods=reading)
    router.add_api_route(f"/audits/{{reference}}/do/{STEP}", step, methods=["POST"])
    router.add_api_route(f"/audits/{{reference}}/{WITHDRAW}", withdrawal, methods=reading)
    router.add_api_route(f"/audits/{{reference}}/do/{WITHDRAW}", withdraw, methods=["POST"])


def stages_page(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    *,
    done: str | None = None,
    refusal: Refusal | None = None,
) -> Response:
    found = steps.steps_of(ctx.deps, audit=reference, viewer=viewer.id, done=done)
    cycle = CycleLinks(ctx.pages.paths.prefix)
    offered = {s.trigger for s in found.steps if s.may_take}
    summary, general = _summary(refusal, offered)
    return cycle_page(
        ctx,
        viewer,
        "cycle_stages.html",
        title=f"{'Error: ' if general else ''}Next steps for audit {found.reference}",
        reference=found.reference,
        # Set even with no form offered: a stale or forged form then gets the engine's answer.
        form_posts=[cycle.post(found.reference, STEP)],
        refusal=refusal,
        found=found,
        summary=summary,
        general=general,
    )


def take(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    kept = typed(form, ("trigger", "reason"))
    trigger = kept["trigger"]
    refused = _attempt(
        ctx, viewer, reference, trigger=trigger, reason=kept["reason"], version=_version(form)
    )
    if refused is None:
        log.info("person %d took step %s on audit %s", viewer.id, trigger, reference)
        return back_to(CycleLinks(ctx.pages.paths.prefix).page(reference, STAGES), done=trigger)
    title = _title_of(ctx, viewer, reference, trigger)
    return stages_page(ctx, viewer, reference, refusal=_refusal(refused, title, kept))


def withdraw_page(
    ctx: WebContext, viewer: Viewer, reference: str, *, refusal: Refusal | None = None
) -> Response:
    found = steps.withdrawal_of(ctx.deps, audit=reference, viewer=viewer.id)
    cycle = CycleLinks(ctx.pages.paths.prefix)
    offered = {found.withdrawal.trigger} if found.withdrawal else set()
    summary, general = _summary(refusal, offered)
    return cycle_page(
        ctx,
        viewer,
        "cycle_withdraw.html",
        title=f"{'Error: ' if general else ''}Withdraw audit {found.reference}",
        reference=found.reference,
        form_posts=[cycle.post(found.reference, WITHDRAW)] if offered else [],
        refusal=refusal,
        found=found,
        summary=summary,
        general=general,
    )


def take_withdrawal(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    found = steps.withdrawal_of(ctx.deps, audit=reference, viewer=viewer.id)
    if found.withdrawal is None:  # ended since the page was shown: it says so
        return withdraw_page(ctx, viewer, reference)
    trigger = found.withdrawal.trigger
    kept = {"trigger": trigger, **typed(form, ("reason",))}
    refused = _attempt(
        ctx, viewer, found.reference, trigger=trigger, reason=kept["reason"], version=_version(form)
    )
    if refused is None:
        log.info("person %d withdrew audit %s", viewer.id, found.reference)
        return back_to(
            CycleLinks(ctx.pages.paths.prefix).page(found.reference, STAGES), done=trigger
        )
    refusal = _refusal(refused, found.withdrawal.title, kept)
    return withdraw_page(ctx, viewer, reference, refusal=refusal)


def _attempt(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    *,
    trigger: str,
    reason: str,
    version: int | None,
) -> AuditEngineError | None:
    """The engine's refusal, or None once the step is taken (now, or by the same form
    before). Lacking the step's role is not caught: it is a 403 page."""
    try:
        steps.take_step(
            ctx.deps,
            audit=reference,
            trigger=trigger,
            actor=viewer.id,
            reason=reason or None,
            seen_version=version,
        )
    except PermissionDenied:
        raise
    except AuditEngineError as refused:
        return refused
    return None


def _refusal(refused: AuditEngineError, title: str | None, kept: dict[str, str]) -> Refusal:
    """The refusal in plain words, beside the step's own form; a missing reason marks the
    reason field."""
    if isinstance(refused, GateBlocked) and title is not None:
        message = refused_sentence(title, refused.failures)
        fields = {"reason": message} if reason_missing(refused.failures) else {}
        return Refusal(message, fields, kept)
    return Refusal(str(refused), {}, kept)


def _summary(refusal: Refusal | None, offered: set[str]) -> tuple[list[ErrorLink], str | None]:
    """The error summary: one link to the reason when it is missing, else to the step's
    button, beside which the refusal is shown; or, for a step the page no longer offers
    (the audit moved on), the sentence alone."""
    if refusal is None or refusal.message is None:
        return [], None
    trigger = refusal.typed.get("trigger", "")
    if trigger not in offered:
        return [], refusal.message
    target = f"reason-{trigger}" if "reason" in refusal.fields else f"take-{trigger}"
    return [ErrorLink(f"#{target}", refusal.message)], None


def _title_of(ctx: WebContext, viewer: Viewer, reference: str, trigger: str) -> str | None:
    found = steps.steps_of(ctx.deps, audit=reference, viewer=viewer.id)
    offered = [*found.steps, *([found.withdrawal] if found.withdrawal else [])]
    return next((s.title for s in offered if s.trigger == trigger), None)


def _version(form: FormData) -> int | None:
    """The audit's version as the form's page showed it (a key for this one sending)."""
    version = str(form.get("version", ""))
    return int(version) if version.isdigit() and len(version) <= MAX_VERSION_DIGITS else None
