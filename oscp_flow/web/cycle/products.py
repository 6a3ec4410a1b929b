"""Sharing what was signed off: the products made from the signed-off summary report (the
7-minute briefing, learning on a page, and where the audit gives individual feedback a letter
to each setting and the summary to all settings), each to read before it goes out; sending
the letters; and the record of each item the audit's type must share.

Products are made, and frozen, by one button (``notifications.publishing.make_products``, as
``oscp report products`` does); a preview is the product exactly as frozen, HTML or PDF.
Recording an item as shared is one small form per item, its day defaulting to today.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from notifications.publishing import make_products, product_docx
from notifications.word_products import KINDS as WORD_KINDS  # edited and circulated
from notifications.wording import counted
from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.common import Refusal, attempt, back_to, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from oscp_flow.web.letter import LETTER_POLICY
from oscp_flow.web.return_form import ErrorLink
from oscp_flow.web.word_download import word_download
from states.errors import NotFound
from states.services import letters, shared_items
from states.services.report_desk import product_of, require_organiser, sharing_desk
from states.services.web_sessions import Viewer

if TYPE_CHECKING:
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
# Each product as the page names it, in the order the framework lists them.
PRODUCT_TITLES = {
    "briefing": "7-minute briefing",
    "learning_on_a_page": "Learning on a page",
    "feedback_letter": "Feedback letter",
    "summary_to_all": "Summary to all settings",
}
LETTER_KINDS = ("feedback_letter", "summary_to_all")
SHARED_FIELDS = ("item", "channel", "shared_on")
# What the page says it did, from the address the last form sent the browser back to.
COUNTS = ("made", "letters", "to_all", "unreached")
NO_CHANNEL = "Choose how it was shared."
BAD_DAY = "Enter the day it was shared as a date, for example 2027-03-31."


def add_routes(router: APIRouter, area: Area) -> None:
    ctx = area.ctx
    reading = ["GET", "HEAD"]

    async def sharing(request: Request, reference: str) -> Response:
        done = _done(request)
        return await area.show(request, lambda v: sharing_page(ctx, v, reference, done=done))

    async def product(request: Request, reference: str, kind: str) -> Response:
        setting = request.query_params.get("setting") or None
        return await area.show(request, lambda v: product_file(ctx, v, reference, kind, setting))

    async def making(request: Request, reference: str) -> Response:
        return await area.posted(request, lambda v, _form: make(ctx, v, reference))

    async def sending(request: Request, reference: str) -> Response:
        return await area.posted(request, lambda v, _form: send_letters(ctx, v, reference))

    async def sharing_one(request: Request, reference: str) -> Response:
        return await area.posted(request, lambda v, form: record(ctx, v, reference, form))

    router.add_api_route("/audits/{reference}/sharing", sharing, methods=reading)
    router.add_api_route("/audits/{reference}/sharing/{kind}", product, methods=reading)
    router.add_api_route("/audits/{reference}/do/make-products", making, methods=["POST"])
    router.add_api_route("/audits/{reference}/do/send-letters", sending, methods=["POST"])
    router.add_api_route("/audits/{reference}/do/shared", sharing_one, methods=["POST"])


def _done(request: Request) -> dict[str, object]:
    """Counts (small numbers only) and the item just recorded, as the redirect said them."""
    said: dict[str, object] = {}
    for key in COUNTS:
        value = request.query_params.get(key, "")
        if value.isdigit() and len(value) < 6:
            said[key] = int(value)
    for key in ("recorded", "kept"):
        value = request.query_params.get(key, "")
        if value:
            said[key] = value[:64]  # matched against the audit's own items by the page
    return said


def sharing_page(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    *,
    done: dict[str, object] | None = None,
    refusal: Refusal | None = None,
    refused_by: str = "",
) -> HTMLResponse:
    desk = sharing_desk(ctx.deps, audit=reference, viewer=viewer.id)
    log.info("person %d read the sharing page of audit %s", viewer.id, desk.reference)
    links = CycleLinks(ctx.pages.paths.prefix)
    posts = [links.post(desk.reference, verb) for verb in ("make-products", "send-letters")]
    return cycle_page(
        ctx,
        viewer,
        "cycle_sharing.html",
        title=f"Sharing the learning from audit {desk.reference}",
        reference=desk.reference,
        form_posts=[*posts, links.post(desk.reference, "shared")],
        refusal=refusal,
        desk=desk,
        titles=PRODUCT_TITLES,
        counted=counted,
        address=lambda kind: links.page(desk.reference, f"sharing/{kind.replace('_', '-')}"),
        letters=any(p.kind in LETTER_KINDS for p in desk.products),
        word_kinds=WORD_KINDS,
        done=done or {},
        refused_by=refused_by,
        summary=_summary(refusal, refused_by),
    )


def _summary(refusal: Refusal | None, refused_by: str) -> list[ErrorLink]:
    if refusal is None:
        return []
    links = refusal.summary
    if refusal.message:
        links.append(ErrorLink(f"#{refused_by}-error", refusal.message))
    return links


def product_file(
    ctx: WebContext, viewer: Viewer, reference: str, asked: str, setting: str | None
) -> Response:
    """A product exactly as frozen: ``briefing`` (HTML), ``briefing.pdf`` or, for the
    briefing and learning on a page, ``briefing.docx``; a letter names its setting
    (``?setting=CODE``)."""
    name, dot, suffix = asked.partition(".")
    kind = name.replace("-", "_")
    found = product_of(ctx.deps, audit=reference, viewer=viewer.id, kind=kind, agency=setting)
    log.info("person %d read the %s of audit %s", viewer.id, kind, found.reference)
    whom = f"-{found.agency}" if found.agency else ""
    filename = f"{found.reference}-{name}{whom}-v{found.version}.{suffix}"
    if not dot:
        assert found.html is not None  # a product is frozen with its HTML
        return HTMLResponse(found.html, headers={"Content-Security-Policy": LETTER_POLICY})
    if suffix == "docx" and kind in WORD_KINDS:
        return word_download(product_docx(ctx.deps, found), filename)
    if suffix != "pdf" or found.pdf is None:
        raise NotFound(
            f"{suffix[:8]} file of the {kind.replace('_', ' ')} of audit", found.reference
        )
    return Response(
        found.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def make(ctx: WebContext, viewer: Viewer, reference: str) -> Response:
    require_organiser(ctx.deps, audit=reference, viewer=viewer.id)
    made, refused = attempt(lambda: make_products(ctx.deps, audit=reference, actor=viewer.id))
    if made is None:
        return sharing_page(
            ctx, viewer, reference, refusal=Refusal(refused), refused_by="make-products"
        )
    log.info("person %d made the products of audit %s", viewer.id, reference)
    return _back(ctx, reference, made=str(len(made)))


def send_letters(ctx: WebContext, viewer: Viewer, reference: str) -> Response:
    sent, refused = attempt(
        lambda: letters.send_feedback_letters(ctx.deps, audit=reference, actor=viewer.id)
    )
    if sent is None:
        return sharing_page(
            ctx, viewer, reference, refusal=Refusal(refused), refused_by="send-letters"
        )
    log.info("person %d sent the letters of audit %s", viewer.id, reference)
    return _back(
        ctx,
        reference,
        letters=str(sent.letters),
        to_all=str(sent.summary_to),
        unreached=str(len(sent.unreached)),
    )


def record(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    """One item recorded as shared, by a channel on a day; refused beside its own form."""
    kept = typed(form, SHARED_FIELDS)
    item = kept["item"]
    on, refusal = _day(kept)
    if not kept["channel"]:
        # The page's own check: the engine's sentence names channels by their codes.
        refusal = Refusal(fields={f"channel-{item}": NO_CHANNEL}, typed=kept)
    elif on is not None:
        recorded, refused = attempt(
            lambda: shared_items.record_shared(
                ctx.deps,
                audit=reference,
                actor=viewer.id,
                item=item,
                channel=kept["channel"],
                on=on,
            )
        )
        if refused is None:
            log.info("person %d recorded an item of audit %s as shared", viewer.id, reference)
            return _back(ctx, reference, **{"recorded" if recorded else "kept": item})
        refusal = Refusal(refused, typed=kept)
    return sharing_page(ctx, viewer, reference, refusal=refusal, refused_by=f"shared-{item}")


def _day(kept: dict[str, str]) -> tuple[date | None, Refusal | None]:
    try:
        return date.fromisoformat(kept["shared_on"]), None
    except ValueError:
        return None, Refusal(fields={f"shared-on-{kept['item']}": BAD_DAY}, typed=kept)


def _back(ctx: WebContext, reference: str, **said: str) -> Response:
    return back_to(CycleLinks(ctx.pages.paths.prefix).page(reference, "sharing"), **said)
