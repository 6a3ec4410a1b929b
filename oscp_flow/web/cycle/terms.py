"""An audit's terms of reference on a page of their own, as ``oscp audit terms`` records them
and ``oscp audit fire REF agree_terms_of_reference`` agrees them.

The page reads ``states.services.terms_views`` (the chair's and coordinators' only). Saving
calls ``record_terms`` with every part; agreeing fires the type's own trigger, expecting the
audit's version the page showed, so what is agreed is exactly the terms the person read: a
change by someone else in between is refused and the page shows the terms as they now are.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.common import Refusal, attempt, back_to, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from states.services import audits, terms, terms_views
from states.services.terms import PARTS
from states.services.terms_views import AGREE
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes imports each part's module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
# The only two things the page says were just done, from the address it was sent back to.
DONE = ("saved", "agreed")
MAX_VERSION_DIGITS = 9


def add_routes(router: APIRouter, area: Area) -> None:
    ctx = area.ctx

    async def page(request: Request, reference: str) -> Response:
        done = next((d for d in DONE if request.query_params.get(d) == "1"), None)
        return await area.show(
            request, lambda viewer: terms_page(ctx, viewer, reference, done=done)
        )

    async def save(request: Request, reference: str) -> Response:
        return await area.posted(
            request, lambda viewer, form: save_terms(ctx, viewer, reference, form)
        )

    async def agree(request: Request, reference: str) -> Response:
        return await area.posted(
            request, lambda viewer, form: agree_terms(ctx, viewer, reference, form)
        )

    router.add_api_route("/audits/{reference}/terms", page, methods=["GET", "HEAD"])
    router.add_api_route("/audits/{reference}/do/terms", save, methods=["POST"])
    router.add_api_route("/audits/{reference}/do/agree-terms", agree, methods=["POST"])


def terms_page(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    *,
    done: str | None = None,
    refusal: Refusal | None = None,
) -> Response:
    shown = terms_views.terms_page(ctx.deps, audit=reference, viewer=viewer.id)
    cycle = CycleLinks(ctx.pages.paths.prefix)
    posts = [cycle.post(shown.reference, "terms")] if shown.amendable else []
    posts += [cycle.post(shown.reference, "agree-terms")] if shown.agree_title else []
    return cycle_page(
        ctx,
        viewer,
        "cycle_terms.html",
        title=f"Terms of reference of audit {shown.reference}",
        reference=shown.reference,
        form_posts=posts,
        refusal=refusal,
        shown=shown,
        parts=PARTS,
        values=refusal.typed if refusal and refusal.typed else shown.starting_values,
        done=done,
    )


def save_terms(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    """Every part, as typed; a blank one is asked for before the engine is."""
    given = typed(form, PARTS)
    blank = {part: f"Enter the {PARTS[part].lower()}." for part, text in given.items() if not text}
    refused = None
    if not blank:
        _, refused = attempt(
            lambda: terms.record_terms(ctx.deps, audit=reference, actor=viewer.id, **given)
        )
    if blank or refused:
        problems = blank or {"save": str(refused)}
        return terms_page(ctx, viewer, reference, refusal=Refusal(fields=problems, typed=given))
    log.info("person %d recorded the terms of reference of audit %s", viewer.id, reference)
    return back_to(CycleLinks(ctx.pages.paths.prefix).page(reference, "terms"), saved="1")


def agree_terms(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    version = str(form.get("version", ""))
    expected = int(version) if version.isdigit() and len(version) <= MAX_VERSION_DIGITS else None
    _, refused = attempt(
        lambda: audits.fire(
            ctx.deps, audit=reference, trigger=AGREE, actor=viewer.id, expected_version=expected
        )
    )
    if refused:
        return terms_page(ctx, viewer, reference, refusal=Refusal(fields={"agree": refused}))
    log.info("person %d agreed the terms of reference of audit %s", viewer.id, reference)
    return back_to(CycleLinks(ctx.pages.paths.prefix).page(reference, "terms"), agreed="1")
