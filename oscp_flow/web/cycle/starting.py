"""Starting an audit in the browser, as ``oscp audit start`` and ``oscp programme start`` do:
a type, a theme, a chair, the agencies and settings taking part and, if not today, the day
it starts; or, from a programme entry, the entry's own type and theme, linked to the entry.

The lists come from ``states.services.start_choices`` (a coordinator's only); the start is
``start_audit`` or ``start_from_programme``. A start by hand carries a key made when the form
was shown, so sending the form twice (a double click, or back and send again) starts one
audit, as a flow run's key does; an entry's start is one per entry already. After the start
the browser goes to a page of its own saying so, with each agency or setting nobody can be
asked for a return.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.common import Refusal, back_to, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from states.errors import AuditEngineError, NotFound, PermissionDenied, UnknownAuditType
from states.rules.themes import THEME_LIMIT
from states.services import audits, programme, start_choices
from states.services.audits import Fired
from states.services.deps import Deps
from states.services.start_choices import EntryToStart, StartChoices
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes imports each part's module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
FIELDS = ("audit_type", "theme", "chair", "started_on", "entry", "request")
# The key a start by hand carries (``start_audit``'s request key): made here, so anything
# else a form might send is not taken as one.
REQUEST = re.compile(r"web-[A-Za-z0-9_-]{32}")
# Which field an engine refusal is about, by the record it could not find.
NOT_FOUND_FIELD = {"person": "chair", "agency": "agencies"}


@dataclass(frozen=True)
class Chosen:
    """The agencies and settings ticked, and whether every setting was asked for."""

    codes: Collection[str] = ()
    all_settings: bool = False

    @classmethod
    def of(cls, form: FormData) -> Chosen:
        ticked = [str(v) for name in ("agencies", "settings") for v in form.getlist(name)]
        return cls(frozenset(ticked), form.get("all_settings") == "yes")


def add_routes(router: APIRouter, area: Area) -> None:
    ctx = area.ctx

    async def start_page(request: Request) -> Response:
        key = request.query_params.get("entry", "")[:80]
        return await area.show(request, lambda viewer: start_form(ctx, viewer, entry_key=key))

    async def start(request: Request) -> Response:
        return await area.posted(request, lambda viewer, form: start_audit(ctx, viewer, form))

    async def started_page(request: Request, reference: str) -> Response:
        return await area.show(request, lambda viewer: started(ctx, viewer, reference))

    reading = ["GET", "HEAD"]
    router.add_api_route("/audits/new", start_page, methods=reading)
    router.add_api_route("/start-audit", start, methods=["POST"])
    router.add_api_route("/audits/{reference}/started", started_page, methods=reading)


def start_form(
    ctx: WebContext,
    viewer: Viewer,
    *,
    entry_key: str = "",
    refusal: Refusal | None = None,
    chosen: Chosen | None = None,
) -> Response:
    """The question page; with ``entry_key``, for that programme entry."""
    choices = start_choices.start_choices(ctx.deps, viewer=viewer.id)
    entry = _entry(ctx.deps, entry_key, choices)
    values = dict(refusal.typed) if refusal else {}
    if not REQUEST.fullmatch(values.get("request", "")):
        values["request"] = f"web-{secrets.token_urlsafe(24)}"
    if refusal is None and entry is not None:
        values["chair"] = entry.suggested_chair or ""
    return cycle_page(
        ctx,
        viewer,
        "cycle_start.html",
        title="Start an audit",
        form_posts=[CycleLinks(ctx.pages.paths.prefix).start_post],
        refusal=refusal,
        choices=choices,
        entry=entry,
        values=values,
        chosen=chosen or Chosen(),
        theme_limit=THEME_LIMIT,
    )


def start_audit(ctx: WebContext, viewer: Viewer, form: FormData) -> Response:
    given = typed(form, FIELDS)
    chosen = Chosen.of(form)
    choices = start_choices.start_choices(ctx.deps, viewer=viewer.id)
    entry = _entry(ctx.deps, given["entry"], choices)
    started_on, problems = _problems(given, by_hand=entry is None)
    if problems:
        return start_form(
            ctx,
            viewer,
            entry_key=given["entry"],
            refusal=Refusal(fields=problems, typed=given),
            chosen=chosen,
        )
    codes = choices.taking_part(chosen.codes, all_settings=chosen.all_settings)
    try:
        fired = _start(
            ctx.deps, viewer, given=given, entry=entry, codes=codes, started_on=started_on
        )
    except PermissionDenied:
        raise
    except AuditEngineError as refused:
        field = _field_of(refused)
        return start_form(
            ctx,
            viewer,
            entry_key=given["entry"],
            refusal=Refusal(fields={field: str(refused)}, typed=given),
            chosen=chosen,
        )
    log.info("person %d started audit %s", viewer.id, fired.reference)
    return back_to(CycleLinks(ctx.pages.paths.prefix).page(fired.reference, "started"))


def started(ctx: WebContext, viewer: Viewer, reference: str) -> Response:
    shown = start_choices.started(ctx.deps, audit=reference, viewer=viewer.id)
    return cycle_page(
        ctx,
        viewer,
        "cycle_started.html",
        title=f"Audit {shown.reference} started",
        reference=shown.reference,
        started=shown,
    )


def _entry(deps: Deps, key: str, choices: StartChoices) -> EntryToStart | None:
    return start_choices.entry_to_start(deps, key=key, choices=choices) if key else None


def _start(
    deps: Deps,
    viewer: Viewer,
    *,
    given: dict[str, str],
    entry: EntryToStart | None,
    codes: list[str],
    started_on: date | None,
) -> Fired:
    if entry is not None:
        return programme.start_from_programme(
            deps,
            key=entry.entry.key,
            programme=entry.entry.programme,
            lead=given["chair"],
            actor=viewer.id,
            agencies=codes,
            started_on=started_on,
        )
    return audits.start_audit(
        deps,
        audit_type=given["audit_type"],
        theme=given["theme"],
        lead=given["chair"],
        actor=viewer.id,
        agencies=codes,
        started_on=started_on,
        request_key=given["request"] if REQUEST.fullmatch(given["request"]) else None,
    )


def _problems(given: dict[str, str], *, by_hand: bool) -> tuple[date | None, dict[str, str]]:
    """What the form lacks before the engine is asked (each field's own message)."""
    problems = {}
    if by_hand and not given["audit_type"]:
        problems["audit_type"] = "Choose the type of audit."
    if by_hand and not given["theme"]:
        problems["theme"] = "Enter the audit's theme."
    if not given["chair"]:
        problems["chair"] = "Choose who will chair the audit."
    started_on = None
    if given["started_on"]:
        try:
            started_on = date.fromisoformat(given["started_on"])
        except ValueError:
            problems["started_on"] = "Enter the start date as a date, for example 2027-03-31."
    return started_on, problems


def _field_of(refused: AuditEngineError) -> str:
    """The field a refusal is shown beside; ``start`` (the button) when it is the whole
    form's."""
    if isinstance(refused, UnknownAuditType):
        return "audit_type"
    if isinstance(refused, NotFound):
        return NOT_FOUND_FIELD.get(refused.what, "start")
    return "start"
