"""The sign-off progress page: in the latest round, each body the audit's sign-off names,
its members and what each decided when, its quorum and whether it is met, and what the
report still waits for (``states.services.sign_off_progress``). Members decide by their own
e-mailed links; this page only shows where that stands. Comments are shown to the audit's
chair and coordinators only, as on the audit page.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.common import cycle_page
from states.services import sign_off_progress
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes.py imports this module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
PART = "sign-off"


def add_routes(router: APIRouter, area: Area) -> None:
    async def page(request: Request, reference: str) -> Response:
        return await area.show(request, lambda v: progress_page(area.ctx, v, reference))

    router.add_api_route(f"/audits/{{reference}}/{PART}", page, methods=["GET", "HEAD"])


def progress_page(ctx: WebContext, viewer: Viewer, reference: str) -> Response:
    found = sign_off_progress.progress_of(ctx.deps, audit=reference, viewer=viewer.id)
    # Attributable, as every read of an audit is: ids only.
    log.info("person %d read the sign-off of audit %s", viewer.id, found.reference)
    return cycle_page(
        ctx,
        viewer,
        "cycle_sign_off.html",
        title=f"Sign-off of audit {found.reference}",
        reference=found.reference,
        progress=found,
    )
