"""An audit's whole history, a page at a time, newest first (``queries.history_page``).

The audit page shows the changes of stage and the latest steps; a busy audit records
thousands (every return submitted is one), so the rest are here, with numbered page links
as plain query parameters (``?page=N``) that work with no JavaScript. Whoever may read the
audit's page may read its history, and no one else (``queries.require_reader``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.common import cycle_page
from oscp_flow.web.cycle.links import CycleLinks
from oscp_flow.web.cycle.moderation import number, page_numbers
from states.services import board, queries
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes.py imports this module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
PART = "history"


def add_routes(router: APIRouter, area: Area) -> None:
    async def page(request: Request, reference: str) -> Response:
        # Anything but a page number (or none) is the first page, as past the last is the last.
        wanted = number(str(request.query_params.get("page", ""))) or 1
        return await area.show(request, lambda v: history_page(area.ctx, v, reference, wanted))

    router.add_api_route(f"/audits/{{reference}}/{PART}", page, methods=["GET", "HEAD"])


def history_page(ctx: WebContext, viewer: Viewer, reference: str, wanted: int) -> Response:
    deps = ctx.deps
    queries.require_reader(deps, audit=reference, person=viewer.id)
    shown = queries.history_page(deps, audit=reference, page=wanted)
    # Attributable, as every read of an audit is: ids only.
    log.info("person %d read the history of audit %s", viewer.id, shown.reference)
    definition = board.definition_of(deps, audit=shown.reference)
    address = CycleLinks(ctx.pages.paths.prefix).page(shown.reference, PART)
    return cycle_page(
        ctx,
        viewer,
        "cycle_history.html",
        title=f"History of audit {shown.reference}"
        + (f" (page {shown.page} of {shown.pages})" if shown.pages > 1 else ""),
        reference=shown.reference,
        shown=shown,
        state_titles={s.name: s.title for s in definition.states},
        page_numbers=page_numbers(shown.page, shown.pages),
        address=lambda n: address if n == 1 else f"{address}?page={n}",
    )
