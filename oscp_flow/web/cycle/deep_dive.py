"""The deep-dive page: the chair or a coordinator takes Section 175's sample of returned
self-assessments, by hand (ticking settings) or drawn by the rule the audit type declares,
as ``oscp audit deep-dive select`` does.

The page shows each setting that returned with how it rated itself, the two ways to choose,
and the sample as it stands. What may be chosen, when, and by whom is the engine's
(``states.services.deep_dive``); a refusal comes back beside its form, ticks and words kept.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.cycle.common import Refusal, attempt, back_to, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from states.services import deep_dive
from states.services.deep_dive_views import deep_dive_of
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes.py imports this module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
PART = "deep-dive"
SELECT, DRAW = "deep-dive-select", "deep-dive-draw"
# What the page says after a form did its work (``?done=``).
DONE = ("chosen", "drawn")
# The page's own check before the engine is asked, which takes a whole number: digits only
# ("²" is a digit to ``str.isdigit`` but not to ``int``); the range is the engine's to check.
SHARE = re.compile(r"[0-9]{1,9}")
NOT_A_SHARE = "Enter the share of the other settings as a whole number, for example 10."


def add_routes(router: APIRouter, area: Area) -> None:
    async def page(request: Request, reference: str) -> Response:
        done = request.query_params.get("done")
        said = done if done in DONE else None
        return await area.show(request, lambda viewer: show(area, viewer, reference, done=said))

    async def select(request: Request, reference: str) -> Response:
        return await area.posted(request, lambda viewer, form: chose(area, viewer, reference, form))

    async def draw(request: Request, reference: str) -> Response:
        return await area.posted(request, lambda viewer, form: drew(area, viewer, reference, form))

    router.add_api_route(f"/audits/{{reference}}/{PART}", page, methods=["GET", "HEAD"])
    router.add_api_route(f"/audits/{{reference}}/do/{SELECT}", select, methods=["POST"])
    router.add_api_route(f"/audits/{{reference}}/do/{DRAW}", draw, methods=["POST"])


def show(
    area: Area,
    viewer: Viewer,
    reference: str,
    *,
    done: str | None = None,
    refusal: Refusal | None = None,
) -> Response:
    view = deep_dive_of(area.ctx.deps, audit=reference, viewer=viewer.id)
    # Attributable: who read which audit's returned ratings, by ids only.
    log.info("person %d read the deep dive of audit %s", viewer.id, view.reference)
    cycle = area.links
    ticked = _ticked(refusal) if refusal and "settings" in refusal.typed else None
    return cycle_page(
        area.ctx,
        viewer,
        "cycle_deep_dive.html",
        title=f"Deep dive on audit {view.reference}",
        reference=view.reference,
        form_posts=_posts(cycle, view.reference) if view.open else [],
        refusal=refusal,
        summary=refusal.summary if refusal else [],
        error=refusal.message if refusal else None,
        view=view,
        done=done,
        ticked={s.code for s in view.chosen} if ticked is None else ticked,
        select_to=cycle.post(view.reference, SELECT),
        draw_to=cycle.post(view.reference, DRAW),
        feedback=cycle.page(view.reference, "feedback"),
    )


def chose(area: Area, viewer: Viewer, reference: str, form: FormData) -> Response:
    """The settings ticked become the sample (replacing any before, with a reason)."""
    settings = [str(code) for code in form.getlist("settings")]
    reason = typed(form, ["reason"])["reason"]
    _, refused = attempt(
        lambda: deep_dive.choose_deep_dive(
            area.ctx.deps,
            audit=reference,
            actor=viewer.id,
            settings=settings,
            reason=reason or None,
        )
    )
    if refused is not None:
        kept = {"settings": ",".join(settings), "reason-select": reason}
        return show(
            area, viewer, reference, refusal=Refusal(fields={"settings": refused}, typed=kept)
        )
    log.info("person %d chose the deep dive of audit %s by hand", viewer.id, reference)
    return back_to(area.links.page(reference, PART), done="chosen")


def drew(area: Area, viewer: Viewer, reference: str, form: FormData) -> Response:
    """The sample drawn by the declared rule, with the grade and share the form gave."""
    said = typed(form, ["rated", "percent", "reason"])
    kept = {"rated": said["rated"], "percent": said["percent"], "reason-draw": said["reason"]}
    if said["percent"] and not SHARE.fullmatch(said["percent"]):
        return show(
            area,
            viewer,
            reference,
            refusal=Refusal(fields={"percent": NOT_A_SHARE}, typed=kept),
        )
    _, refused = attempt(
        lambda: deep_dive.select_deep_dive(
            area.ctx.deps,
            audit=reference,
            actor=viewer.id,
            rated=said["rated"] or None,
            percent_of_rest=int(said["percent"]) if said["percent"] else None,
            reason=said["reason"] or None,
        )
    )
    if refused is not None:
        return show(area, viewer, reference, refusal=Refusal(fields={"rated": refused}, typed=kept))
    log.info("person %d drew the deep dive of audit %s by its rule", viewer.id, reference)
    return back_to(area.links.page(reference, PART), done="drawn")


def _posts(cycle: CycleLinks, reference: str) -> list[str]:
    return [cycle.post(reference, SELECT), cycle.post(reference, DRAW)]


def _ticked(refusal: Refusal) -> set[str]:
    """The settings ticked when the form was sent back: what was typed, not what is stored."""
    return {code for code in refusal.typed.get("settings", "").split(",") if code}
