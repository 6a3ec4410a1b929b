"""An audit's discussion meeting on a page of its own: schedule it (a London date, start and
end, a place and/or an online link, who is invited), move or cancel it, and once it has
started record who attended, as ``oscp meeting`` does.

The page reads ``states.services.meeting_views`` and each form calls one command of
``states.services.meetings``; a refusal is the engine's sentence beside the form, with what
was typed kept. A refusal for lack of a role is the 403 page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, time
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.common import Refusal, attempt, back_to, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from states.clock import LONDON
from states.errors import InvalidInput
from states.services import meeting_views, meetings
from states.services.meetings import Plan
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes imports each part's module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
PART = "meeting"
FIELDS = ("day", "start", "end", "place", "online_link")
# What the page says was just done, from the address it was sent back to.
DONE = ("scheduled", "moved", "cancelled", "recorded")
VERBS = {"schedule": "meeting-schedule", "move": "meeting-move", "cancel": "meeting-cancel"}
ATTENDANCE = "meeting-attendance"


def add_routes(router: APIRouter, area: Area) -> None:
    ctx = area.ctx

    async def page(request: Request, reference: str) -> Response:
        done = next((d for d in DONE if request.query_params.get(d) == "1"), None)
        return await area.show(
            request, lambda viewer: meeting_page(ctx, viewer, reference, done=done)
        )

    def poster(act: str) -> Callable[[Request, str], Awaitable[Response]]:
        async def post(request: Request, reference: str) -> Response:
            return await area.posted(
                request, lambda viewer, form: arrange(ctx, viewer, reference, act, form)
            )

        return post

    router.add_api_route(f"/audits/{{reference}}/{PART}", page, methods=["GET", "HEAD"])
    for act, verb in [*VERBS.items(), ("attendance", ATTENDANCE)]:
        router.add_api_route(f"/audits/{{reference}}/do/{verb}", poster(act), methods=["POST"])


def meeting_page(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    *,
    done: str | None = None,
    refusal: Refusal | None = None,
) -> Response:
    shown = meeting_views.meeting_page(ctx.deps, audit=reference, viewer=viewer.id)
    cycle = CycleLinks(ctx.pages.paths.prefix)
    verbs = [VERBS["schedule"]] if shown.current is None else []
    if shown.current is not None and shown.current.status == "scheduled":
        verbs += [VERBS["move"], VERBS["cancel"]]
    if shown.started:
        verbs.append(ATTENDANCE)
    return cycle_page(
        ctx,
        viewer,
        "cycle_meeting.html",
        title=f"Audit discussion of audit {shown.reference}",
        reference=shown.reference,
        form_posts=[cycle.post(shown.reference, v) for v in verbs],
        refusal=refusal,
        shown=shown,
        values=refusal.typed if refusal and refusal.typed else _as_scheduled(shown),
        chosen=_chosen_ids(refusal),
        done=done,
        verbs=VERBS,
        attendance=ATTENDANCE,
    )


def _as_scheduled(shown: meeting_views.MeetingPage) -> dict[str, str]:
    """The move form starts from the meeting as it is, in London's date and times."""
    m = shown.current
    if m is None:
        return {}
    starts, ends = m.starts_at.astimezone(LONDON), m.ends_at.astimezone(LONDON)
    return {
        "day": starts.date().isoformat(),
        "start": f"{starts:%H:%M}",
        "end": f"{ends:%H:%M}",
        "place": m.place or "",
        "online_link": m.online_link or "",
    }


def _chosen_ids(refusal: Refusal | None) -> set[int] | None:
    if refusal is None or "attendees" not in refusal.typed:
        return None
    return {int(i) for i in refusal.typed["attendees"].split(",") if i.isdigit()}


@dataclass(frozen=True)
class _Asked:
    """One form as posted: which command, on which audit, and what was typed."""

    act: str
    reference: str
    given: dict[str, str]
    people: list[int]
    reason: str


def arrange(ctx: WebContext, viewer: Viewer, reference: str, act: str, form: FormData) -> Response:
    given = typed(form, FIELDS)
    people = [int(str(v)) for v in form.getlist("attendee") if str(v).isdigit()]
    given["attendees"] = ",".join(str(p) for p in people)
    asked = _Asked(act, reference, given, people, str(form.get("reason", "")))
    _, refused = attempt(lambda: _call(ctx, viewer, asked))
    if refused:
        fields = {act: refused}
        return meeting_page(ctx, viewer, reference, refusal=Refusal(fields=fields, typed=given))
    log.info("person %d did %s on the discussion of audit %s", viewer.id, act, reference)
    said = {"schedule": "scheduled", "move": "moved", "cancel": "cancelled"}.get(act, "recorded")
    return back_to(CycleLinks(ctx.pages.paths.prefix).page(reference, PART), **{said: "1"})


def _call(ctx: WebContext, viewer: Viewer, asked: _Asked) -> object:
    deps, audit = ctx.deps, asked.reference
    if asked.act == "cancel":
        return meetings.cancel(deps, audit=audit, actor=viewer.id, reason=asked.reason)
    if asked.act == "attendance":
        return meetings.record_attendance(deps, audit=audit, actor=viewer.id, attended=asked.people)
    plan = _plan(asked.given, asked.people)
    if asked.act == "move":
        return meetings.move(deps, audit=audit, actor=viewer.id, plan=plan)
    return meetings.schedule(deps, audit=audit, actor=viewer.id, plan=plan)


def _plan(given: dict[str, str], people: list[int]) -> Plan:
    """The form's date and times as typed (the engine checks what they mean)."""
    try:
        day = date.fromisoformat(given["day"])
        start, end = time.fromisoformat(given["start"]), time.fromisoformat(given["end"])
    except ValueError:
        raise InvalidInput(
            "Give the date as 2026-10-23 and the start and end times as 10:00 and 12:00."
        ) from None
    return Plan(day, start, end, given["place"], given["online_link"], tuple(people))
