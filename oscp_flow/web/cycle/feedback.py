"""The feedback page: the chair or a coordinator writes each setting's individual feedback
(Section 175's deep-dive sample; Section 11's agencies that returned), one form per setting,
as ``oscp audit feedback`` does from a file; recording it again replaces it.

Who is owed feedback, when it may be written and how long it may be is the engine's
(``states.services.deep_dive.record_feedback``); a refusal comes back beside that setting's
form with the words kept. Sending the feedback on (``send_feedback``) is a step of the audit,
taken from its stages.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.cycle.common import Refusal, attempt, back_to, cycle_page, typed
from states.services import deep_dive
from states.services.feedback_views import FeedbackView, feedback_of
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes.py imports this module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
PART = "feedback"
RECORD = "feedback"
# What the page says after the form did its work (``?done=...&setting=CODE``).
DONE = ("recorded", "replaced")


def add_routes(router: APIRouter, area: Area) -> None:
    async def page(request: Request, reference: str) -> Response:
        done = request.query_params.get("done")
        said = (done, request.query_params.get("setting", "")) if done in DONE else None
        return await area.show(request, lambda viewer: show(area, viewer, reference, done=said))

    async def record(request: Request, reference: str) -> Response:
        # The cycle's form size (``FORM_BYTES``) holds the engine's longest feedback even
        # when every character is percent-encoded UTF-8.
        return await area.posted(
            request, lambda viewer, form: recorded(area, viewer, reference, form)
        )

    router.add_api_route(f"/audits/{{reference}}/{PART}", page, methods=["GET", "HEAD"])
    router.add_api_route(f"/audits/{{reference}}/do/{RECORD}", record, methods=["POST"])


def show(
    area: Area,
    viewer: Viewer,
    reference: str,
    *,
    done: tuple[str, str] | None = None,
    refusal: Refusal | None = None,
) -> Response:
    view = feedback_of(area.ctx.deps, audit=reference, viewer=viewer.id)
    # Attributable: who read which audit's feedback, by ids only (never the words).
    log.info("person %d read the feedback of audit %s", viewer.id, view.reference)
    cycle = area.links
    return cycle_page(
        area.ctx,
        viewer,
        "cycle_feedback.html",
        title=f"Feedback on audit {view.reference}",
        reference=view.reference,
        form_posts=[cycle.post(view.reference, RECORD)] if view.open and view.owed else [],
        refusal=refusal,
        summary=refusal.summary if refusal else [],
        error=refusal.message if refusal else None,
        view=view,
        done=_done(view, done),
        record_to=cycle.post(view.reference, RECORD),
        deep_dive=cycle.page(view.reference, "deep-dive"),
    )


def recorded(area: Area, viewer: Viewer, reference: str, form: FormData) -> Response:
    """One setting's feedback, recorded or replaced."""
    said = typed(form, ["setting", "feedback"])
    code = said["setting"]
    replaced, refused = attempt(
        lambda: deep_dive.record_feedback(
            area.ctx.deps,
            audit=reference,
            actor=viewer.id,
            agency=code,
            summary=said["feedback"],
        )
    )
    if refused is not None:
        return show(
            area, viewer, reference, refusal=_refusal(area, viewer, reference, said, refused)
        )
    log.info("person %d recorded feedback to %s on audit %s", viewer.id, code, reference)
    done = "replaced" if replaced else "recorded"
    return back_to(area.links.page(reference, PART), done=done, setting=code)


def _refusal(
    area: Area, viewer: Viewer, reference: str, said: dict[str, str], refused: str
) -> Refusal:
    """Beside the setting's own form; a setting with no form here (a stale page, a forged
    code) is told at the top of the page."""
    view = feedback_of(area.ctx.deps, audit=reference, viewer=viewer.id)
    if view.open and any(o.code == said["setting"] for o in view.owed):
        return Refusal(fields={f"feedback-{said['setting']}": refused}, typed=said)
    return Refusal(refused)


def _done(view: FeedbackView, done: tuple[str, str] | None) -> tuple[str, str] | None:
    """(what was done, the setting's name), for a setting the page lists."""
    if done is None:
        return None
    what, code = done
    name = next((o.name for o in view.owed if o.code == code), None)
    return None if name is None else (what, name)
