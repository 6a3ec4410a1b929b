"""An audit's immediate-risk concerns in the browser, as ``oscp audit concern`` raises one and
``oscp audit assure`` records the assurance an agency gave another way.

The page reads ``states.services.concern_page``: every concern's agency and status, and, for
the chair and coordinators only, its words and the agency's assurance (each read kept by the
engine). Whoever the audit type lets raise a concern has the form to raise one for an agency
taking part; the engine says who was told, and the page says it after its redirect. Those who
may record assurance have a form beside each concern still open. A refusal is the engine's
sentence beside the form it came from, with what was typed kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.common import Refusal, attempt, back_to, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from oscp_flow.web.cycle.moderation import number
from states.errors import NotFound
from states.services import concern_page, concerns, work
from states.services.concerns import Told
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes imports each part's module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
PART = "concerns"
RAISING = ("agency", "concern", "confirm_no_recipient")
# What the page says was just done, from the address a form sent the person back to.
DONE = ("raised", "assured")


def add_routes(router: APIRouter, area: Area) -> None:
    ctx = area.ctx

    async def page(request: Request, reference: str) -> Response:
        done = _done(request.query_params)
        return await area.show(
            request, lambda viewer: concerns_view(ctx, viewer, reference, done=done)
        )

    async def raise_one(request: Request, reference: str) -> Response:
        return await area.posted(
            request, lambda viewer, form: raise_concern(ctx, viewer, reference, form)
        )

    async def assure(request: Request, reference: str) -> Response:
        return await area.posted(
            request, lambda viewer, form: record_assurance(ctx, viewer, reference, form)
        )

    router.add_api_route("/audits/{reference}/concerns", page, methods=["GET", "HEAD"])
    router.add_api_route("/audits/{reference}/do/concern", raise_one, methods=["POST"])
    router.add_api_route("/audits/{reference}/do/assurance", assure, methods=["POST"])


def _done(values: Mapping[str, Any]) -> tuple[str, int] | None:
    what, concern = str(values.get("done", "")), number(str(values.get("concern", "")))
    return (what, concern) if what in DONE and concern is not None else None


def concerns_view(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    *,
    done: tuple[str, int] | None = None,
    refusal: Refusal | None = None,
    refused: int | None = None,
) -> Response:
    """The audit's concerns; ``refused`` is the concern whose assurance form comes back
    refused (0: the form raising one)."""
    shown = concern_page.concerns_page(ctx.deps, audit=reference, as_person=viewer.id)
    log.info("person %d read the concerns of audit %s", viewer.id, shown.reference)
    cycle = CycleLinks(ctx.pages.paths.prefix)
    posts = [cycle.post(shown.reference, "concern")] if shown.may_raise or refusal else []
    if shown.may_assure and shown.read.may_read:
        posts.append(cycle.post(shown.reference, "assurance"))
    return cycle_page(
        ctx,
        viewer,
        "cycle_concerns.html",
        title=f"Immediate-risk concerns of audit {shown.reference}",
        reference=shown.reference,
        form_posts=posts,
        refusal=refusal,
        error=bool(refusal),
        shown=shown,
        done=done,
        told=_told(ctx, shown.reference, done),
        refused=refused,
    )


def _told(ctx: WebContext, reference: str, done: tuple[str, int] | None) -> tuple[Told, ...]:
    if done is None or done[0] != "raised":
        return ()
    told, _ = attempt(lambda: concerns.told_of(ctx.deps, audit=reference, escalation_id=done[1]))
    return told or ()


def raise_concern(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    """Raise a concern with an agency; the agency is chosen before the engine is asked."""
    given = typed(form, RAISING)
    if not given["agency"]:
        problem = {"agency": "Choose the agency the concern is about."}
        return _refused(ctx, viewer, reference, Refusal(fields=problem, typed=given))
    raised, refused = attempt(
        lambda: concerns.raise_concern(
            ctx.deps,
            audit=reference,
            actor=viewer.id,
            agency=given["agency"],
            concern=given["concern"],
            # An empty box confirms nothing: the engine refuses a confirmation not needed.
            confirm_no_recipient=given["confirm_no_recipient"] or None,
        )
    )
    if raised is None:
        field = "concern" if not given["concern"] else "raise"
        return _refused(ctx, viewer, reference, Refusal(fields={field: str(refused)}, typed=given))
    log.info("person %d raised concern %d on audit %s", viewer.id, raised.id, reference)
    address = CycleLinks(ctx.pages.paths.prefix).page(reference, PART)
    return back_to(address, done="raised", concern=str(raised.id))


def _refused(ctx: WebContext, viewer: Viewer, reference: str, refusal: Refusal) -> Response:
    return concerns_view(ctx, viewer, reference, refusal=refusal, refused=0)


def record_assurance(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    """Record the assurance an agency gave another way (a call, a meeting, a letter)."""
    given = typed(form, ("concern", "assurance"))
    concern = number(given["concern"])
    if concern is None:
        raise NotFound("concern", given["concern"][:12])
    _, refused = attempt(
        lambda: work.record_assurance(
            ctx.deps,
            audit=reference,
            actor=viewer.id,
            escalation_id=concern,
            assurance=given["assurance"],
        )
    )
    if refused:
        field = f"assurance-{concern}" if not given["assurance"] else f"assure-{concern}"
        refusal = Refusal(fields={field: refused}, typed=given)
        return concerns_view(ctx, viewer, reference, refusal=refusal, refused=concern)
    log.info("person %d recorded assurance on concern %d", viewer.id, concern)
    address = CycleLinks(ctx.pages.paths.prefix).page(reference, PART)
    return back_to(address, done="assured", concern=str(concern))
