"""Refusals as plain pages: what happened and what to do next, with the right status.

Link problems are 404 (not recognised), 409 (already used, or a sign-off already decided) or
410 (expired or no longer needed); something the person may not do at all is 403; any other
engine error is a 400 showing its one-sentence message. Logs name the
refusal and the path with the token hidden, never the token.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from slowapi.errors import RateLimitExceeded
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.csrf import CsrfRefused, FormTooLarge, LengthRequired
from oscp_flow.web.logs import safe_path
from oscp_flow.web.pages import Pages
from oscp_flow.web.security import with_security_headers
from states.errors import (
    AlreadyDecided,
    AuditEngineError,
    NotFound,
    PermissionDenied,
    StoreUnavailable,
    TokenAlreadyUsed,
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
)

log = logging.getLogger("oscp_flow.web")
Handler = Callable[[Request, Exception], Awaitable[Response]]


class NotOnThisLink(AuditEngineError):
    def __init__(self) -> None:
        super().__init__(
            "This link does not reach that return; use the form on the page the link opens."
        )


# (status, heading, message or None to use the error's own sentence)
PAGES: dict[type[Exception], tuple[int, str, str | None]] = {
    TokenInvalid: (404, "This link is not recognised", None),
    NotFound: (404, "Not found", None),
    NotOnThisLink: (404, "Not found", None),
    TokenAlreadyUsed: (409, "This link has already been used", None),
    AlreadyDecided: (409, "You have already decided", None),
    PermissionDenied: (403, "This is not yours to do", None),
    TokenExpired: (410, "This link has expired", None),
    TokenRevoked: (410, "This link is no longer needed", None),
    # Never the engine's own sentence here: it names the database's file or server, which is
    # the operator's business, not a reader's.
    StoreUnavailable: (
        503,
        "Please try again shortly",
        "The service cannot reach its records just now, so nothing was recorded. Try again in "
        "a few minutes; if it keeps happening, contact the audit's coordinator.",
    ),
    AuditEngineError: (400, "This could not be done", None),
    CsrfRefused: (
        403,
        "This form could not be accepted",
        "For your security a form must be sent from the page the link opened, and within a "
        "few hours of opening it. Nothing was recorded: go back, reload the page and try again.",
    ),
    FormTooLarge: (413, "Too much was sent", "The form was larger than any return can be."),
    LengthRequired: (411, "The form could not be read", "Send the form from the page again."),
    RateLimitExceeded: (
        429,
        "Too many requests",
        "This address has opened too many links in a short time. Wait a minute and try again.",
    ),
}
HTTP_PAGES = {
    404: ("Page not found", "There is no page at this address; use the link in your e-mail."),
    405: ("Not allowed", "This page cannot be used that way; use the link in your e-mail."),
}
# The same refusals as the coordinator pages say them: their readers signed in, and have no
# e-mailed link to go back to.
COORDINATOR_MESSAGES = {
    CsrfRefused: (
        "For your security a form must be sent from the page that showed it, and within a few "
        "hours of opening it. Nothing was recorded: go back, reload the page and try again."
    ),
    RateLimitExceeded: "Too many attempts from this address in a short time. Wait a minute.",
    404: "There is no page at this address; start again from the programme board.",
    405: "This page cannot be used that way; start again from the programme board.",
}
LINK_PREFIX = "/act/"


def for_links(request: Request) -> bool:
    """Whether the reader came by an e-mailed link (an agency, a member signing off) rather
    than signed in to the coordinator pages: what to do next differs."""
    return LINK_PREFIX in request.url.path


def install(app: FastAPI, pages: Pages, *, https: bool) -> None:
    for kind, (status, heading, message) in PAGES.items():
        app.add_exception_handler(kind, _refusal(pages, status, heading, message))
    app.add_exception_handler(HTTPException, _http_error(pages))
    app.add_exception_handler(Exception, _unexpected(pages, https=https))


def _refusal(pages: Pages, status: int, heading: str, message: str | None) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        log.info(
            "refused %s %s: %s (%d)",
            request.method,
            safe_path(request.url.path),
            type(exc).__name__,
            status,
        )
        text = message if message is not None else str(exc)
        links = for_links(request)
        if not links:
            text = COORDINATOR_MESSAGES.get(type(exc), text)
        return pages.render(
            "error.html", status, title=heading, message=text, status=status, for_links=links
        )

    return handle


def _http_error(pages: Pages) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        heading, message = HTTP_PAGES.get(
            exc.status_code, ("This could not be done", "Use the link in your e-mail.")
        )
        links = for_links(request)
        if not links:
            message = COORDINATOR_MESSAGES.get(exc.status_code, message)
        response = pages.render(
            "error.html",
            exc.status_code,
            title=heading,
            message=message,
            status=exc.status_code,
            for_links=links,
        )
        response.headers.update(exc.headers or {})
        return response

    return handle


def _unexpected(pages: Pages, *, https: bool) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        # Outside the headers middleware (Starlette answers 500s from its outermost layer).
        log.error("unexpected %s on %s", type(exc).__name__, safe_path(request.url.path))
        response = pages.render(
            "error.html",
            500,
            title="Something went wrong",
            message="The problem is ours, not yours. Try again later; if it keeps happening, "
            "contact the audit's coordinator.",
            status=500,
            for_links=for_links(request),
        )
        return with_security_headers(response, https=https)

    return handle
