"""The audit cycle's routes, each part's added by its own module's ``add_routes``.

Every route is thin, as elsewhere: the form's size and CSRF token are checked first (no
database work for a request that fails either), then the session, then the page's blocking
work runs in the thread pool (``Area.show`` and ``Area.posted``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle import (
    auditors,
    case_audits,
    concerns,
    deep_dive,
    feedback,
    history,
    meeting,
    moderation,
    products,
    report,
    returns,
    sample,
    sample_change,
    sign_off_progress,
    stages,
    starting,
    terms,
    work,
)
from oscp_flow.web.cycle.common import FORM_BYTES
from oscp_flow.web.cycle.links import CycleLinks
from states.services.web_sessions import Viewer

SignedIn = Callable[[Request, Callable[[Viewer], Response]], Awaitable[Response]]


@dataclass(frozen=True)
class Area:
    """What each part's routes are given: the engine and pages, the session check, addresses."""

    ctx: WebContext
    signed_in: SignedIn
    links: CycleLinks

    async def show(self, request: Request, show: Callable[[Viewer], Response]) -> Response:
        """A page for the signed-in person; anyone else is sent to sign in."""
        return await self.signed_in(request, show)

    async def posted(
        self,
        request: Request,
        act: Callable[[Viewer, FormData], Response],
        *,
        max_bytes: int = FORM_BYTES,
    ) -> Response:
        """A form's POST: its token checked before anything else, then the session."""
        form = await self.ctx.guard.checked_form(request, max_bytes=max_bytes)
        return await self.signed_in(request, lambda viewer: act(viewer, form))


# Each part of the cycle, in the order an audit meets them. A module adds its routes here.
PARTS: tuple[Callable[[APIRouter, Area], None], ...] = (
    starting.add_routes,
    terms.add_routes,
    sample.add_routes,
    sample_change.add_routes,
    auditors.add_routes,
    returns.add_routes,
    case_audits.add_routes,
    moderation.add_routes,
    meeting.add_routes,
    concerns.add_routes,
    deep_dive.add_routes,
    feedback.add_routes,
    report.add_routes,
    sign_off_progress.add_routes,
    products.add_routes,
    stages.add_routes,
    work.add_routes,
    history.add_routes,
)


def add_cycle_routes(router: APIRouter, ctx: WebContext, signed_in: SignedIn) -> None:
    """Before the audit page's own route: ``/audits/new`` must not be read as a reference."""
    area = Area(ctx, signed_in, CycleLinks(ctx.pages.paths.prefix))
    for add_routes in PARTS:
        add_routes(router, area)
