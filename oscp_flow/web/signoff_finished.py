"""What a sign-off link says once it can no longer be used: "You approved this on …",
"Signed off on …", "Sent back to the chair on …". Never "reload and try again": reloading
would not help, so the page says what happened instead (in dates and names, never a comment).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.responses import HTMLResponse

from oscp_flow.web.context import WebContext
from states.errors import AlreadyDecided, TokenAlreadyUsed, TokenExpired, TokenRevoked
from states.services import links, sign_off_links
from states.services.links import Decided, SignOffPage

T = TypeVar("T")
# Refusals after which the page says what happened, when something did.
FINISHED = (TokenAlreadyUsed, TokenRevoked, TokenExpired, AlreadyDecided)


def opened(ctx: WebContext, token: str, *, posted: bool) -> SignOffPage | HTMLResponse:
    """The link's page and the report it asks about, or what happened once its holder
    decided or its round ended (the refusal is still recorded against the link, as for any
    refused link)."""
    return _or_finished(lambda: links.open_sign_off(ctx.deps, token), ctx, token, posted=posted)


def decided(
    ctx: WebContext, token: str, *, decision: str, comment: str | None
) -> Decided | HTMLResponse:
    """The decision recorded, or what happened if the link could no longer be used (decided
    by another of the member's links a moment before, or the round just ended)."""
    return _or_finished(
        lambda: links.decide_by_link(ctx.deps, token, decision=decision, comment=comment),
        ctx,
        token,
        posted=True,
    )


def _or_finished(
    act: Callable[[], T], ctx: WebContext, token: str, *, posted: bool
) -> T | HTMLResponse:
    try:
        return act()
    except FINISHED:
        said = finished(ctx, token, posted=posted)
        if said is None:
            raise
        return said


def finished(ctx: WebContext, token: str, *, posted: bool) -> HTMLResponse | None:
    """None unless the link's holder decided or its round ended: then 200 to the member who
    decided (409 when they post again), 410 once the round ended without them."""
    found = sign_off_links.what_happened(ctx.deps, token)
    if found is None:
        return None
    if found.decision is None:
        status, title = 410, "This sign-off is finished"
    else:
        status, title = (409 if posted else 200), "You have already decided"
    return ctx.pages.render(
        "sign_off_finished.html", status, title=title, finished=found, status=status
    )
