"""The returns tracker: each agency or setting's returns against the round's deadline, the
reminders sent to each, and what the chair or coordinator may do about it — send an agency
its return link again, extend the deadline (the coordinator only), read a submitted return.

The page reads ``states.services.return_tracker`` (which says who may do what on it), the
forms call ``return_links.resend_return_link`` and ``work.extend_deadline``, and a return
is read through ``return_reads.agency_returns``. Each read of a return is logged by ids.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.common import Refusal, attempt, back_to, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from oscp_flow.web.return_form import build
from states.definitions.tool import ToolDefinition
from states.services import return_links, return_reads, return_tracker, work
from states.services.returns import ReturnView
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes imports each part's module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
EXTENDING = ("until", "reason")
MAX_CODE = 63  # an agency code or case reference in a query or form, at most


@dataclass(frozen=True)
class Answered:
    question: str
    answer: str  # the grade's or option's label for a choice; empty when not answered


@dataclass(frozen=True)
class AnsweredSection:
    title: str
    answers: tuple[Answered, ...]


def answered(tool: ToolDefinition, phase: str | None, view: ReturnView) -> list[AnsweredSection]:
    """A return's answers under the tool's own questions, each choice by its label."""
    form = build(tool, phase, number=0, case=view.case, status=view.status, values=view.answers)
    return [
        AnsweredSection(
            section.title,
            tuple(
                Answered(
                    field.label,
                    next((c.label for c in field.choices if c.value == field.value), field.value),
                )
                for field in section.fields
            ),
        )
        for section in form.sections
    ]


def add_routes(router: APIRouter, area: Area) -> None:
    ctx = area.ctx
    reading = ["GET", "HEAD"]

    async def tracker(request: Request, reference: str) -> Response:
        done = _done(request)
        return await area.show(request, lambda v: tracker_page(ctx, v, reference, done=done))

    async def agency(request: Request, reference: str, code: str) -> Response:
        return await area.show(request, lambda v: return_page(ctx, v, reference, code))

    async def one_case(request: Request, reference: str, code: str, case: str) -> Response:
        return await area.show(request, lambda v: return_page(ctx, v, reference, code, case))

    async def resend(request: Request, reference: str) -> Response:
        return await area.posted(request, lambda v, form: resend_link(ctx, v, reference, form))

    async def extend(request: Request, reference: str) -> Response:
        return await area.posted(request, lambda v, form: extend_deadline(ctx, v, reference, form))

    router.add_api_route("/audits/{reference}/returns", tracker, methods=reading)
    router.add_api_route("/audits/{reference}/returns/{code}", agency, methods=reading)
    router.add_api_route("/audits/{reference}/returns/{code}/{case}", one_case, methods=reading)
    router.add_api_route("/audits/{reference}/do/resend", resend, methods=["POST"])
    router.add_api_route("/audits/{reference}/do/extend", extend, methods=["POST"])


def _done(request: Request) -> tuple[str, str] | None:
    """What the last form did, from the address it sent the browser back to."""
    resent = request.query_params.get("resent", "")
    if resent and len(resent) <= MAX_CODE:
        return "resent", resent
    if request.query_params.get("extended") == "1":
        return "extended", ""
    return None


def tracker_page(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    *,
    done: tuple[str, str] | None = None,
    refusal: Refusal | None = None,
) -> Response:
    shown = return_tracker.tracker(ctx.deps, audit=reference, as_person=viewer.id)
    log.info("person %d read the returns of audit %s", viewer.id, shown.returns.reference)
    cycle = CycleLinks(ctx.pages.paths.prefix)
    ref = shown.returns.reference
    posts = [cycle.post(ref, "resend")] if shown.resendable else []
    posts += [cycle.post(ref, "extend")] if shown.may_extend else []
    names = {a.code: a.name for a in shown.returns.agencies}
    refusal = _placed(refusal, shown.resendable, set(names))
    return cycle_page(
        ctx,
        viewer,
        "cycle_returns.html",
        title=f"Returns for audit {ref}",
        reference=ref,
        form_posts=posts,
        refusal=refusal,
        errors=refusal is not None,  # the title says "Error:" while a refusal is shown
        shown=shown,
        resent=names.get(done[1]) if done and done[0] == "resent" else None,
        extended=done is not None and done[0] == "extended",
    )


def _placed(refusal: Refusal | None, resendable: Iterable[str], rows: set[str]) -> Refusal | None:
    """A refused resend beside its row's button; beside the row's name where the row has
    no button now (its return came in meanwhile); above the page for an agency not listed."""
    if refusal is None:
        return None
    fields, message = {}, refusal.message
    for key, text in refusal.fields.items():
        code = key.removeprefix("resend-")
        if key == code or code in resendable:
            fields[key] = text
        elif code in rows:
            fields[f"agency-{code}"] = text
        else:
            message = text
    return Refusal(message, fields, refusal.typed)


def resend_link(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    code = typed(form, ["agency"])["agency"][:MAX_CODE]
    sent, refused = attempt(
        lambda: return_links.resend_return_link(
            ctx.deps, audit=reference, actor=viewer.id, agency=code
        )
    )
    if refused:
        return tracker_page(
            ctx, viewer, reference, refusal=Refusal(fields={f"resend-{code}": refused})
        )
    log.info("person %d sent a return link on audit %s again to %s", viewer.id, reference, sent)
    return back_to(CycleLinks(ctx.pages.paths.prefix).page(reference, "returns"), resent=code)


def extend_deadline(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    """A new day and a reason, both needed; the day as the browser's date field sends it."""
    given = typed(form, EXTENDING)
    problems = {}
    until = _day(given["until"])
    if until is None:
        problems["until"] = (
            "Enter the new deadline as a date, for example 2027-03-31."
            if given["until"]
            else "Enter the new deadline."
        )
    if not given["reason"]:
        problems["reason"] = "Say why the deadline is being extended."
    if until is not None and not problems:
        _, refused = attempt(
            lambda: work.extend_deadline(
                ctx.deps, audit=reference, actor=viewer.id, until=until, reason=given["reason"]
            )
        )
        if refused:
            problems["extend"] = refused
    if problems:
        refusal = Refusal(fields=problems, typed=given)
        return tracker_page(ctx, viewer, reference, refusal=refusal)
    log.info("person %d extended the deadline of audit %s", viewer.id, reference)
    return back_to(CycleLinks(ctx.pages.paths.prefix).page(reference, "returns"), extended="1")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def return_page(
    ctx: WebContext, viewer: Viewer, reference: str, code: str, case: str | None = None
) -> Response:
    """An agency's returns (a list of its cases on a case audit), or one case's return:
    submitted answers read-only."""
    read = return_reads.agency_returns(
        ctx.deps, audit=reference, as_person=viewer.id, agency=code, case=case
    )
    for view in read.returns:
        if view.id:
            log.info("person %d read return %d of audit %s", viewer.id, view.id, read.audit)
    whole = case is not None or not read.tool.per_subject
    title = f"{read.agency.name}: " + (f"case {case}" if case else "return")
    return cycle_page(
        ctx,
        viewer,
        "cycle_return_view.html",
        title=f"{title} on audit {read.audit}",
        reference=read.audit,
        read=read,
        case=case,
        answers=[answered(read.tool, read.phase, v) for v in read.returns] if whole else [],
    )
