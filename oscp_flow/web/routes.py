"""The routes: a link's page (GET/HEAD), its action (POST), the files a link serves (a letter,
the report a sign-off link asks about), the stylesheet and a health check.

Route code is thin: the rate limit and the CSRF check run first (no database work for a
request that fails either), then the engine's blocking calls run in the thread pool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from fastapi import APIRouter
from slowapi import Limiter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from oscp_flow.web import letter, signoff, signoff_finished, views
from oscp_flow.web.context import WebContext
from oscp_flow.web.csrf import COOKIE, CsrfRefused
from oscp_flow.web.pages import stylesheet

Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Response]])
# One budget for every /act/ request from an address, whichever link and method.
LIMIT_SCOPE = "act"


def _limited(limiter: Limiter, rate: str) -> Callable[[Endpoint], Endpoint]:
    # A shared scope, not slowapi's default per-URL key: per URL, each forged token would get
    # its own fresh budget, and the limiter's log line would quote the token.
    return cast(Callable[[Endpoint], Endpoint], limiter.shared_limit(rate, scope=LIMIT_SCOPE))


def build_router(ctx: WebContext, limiter: Limiter) -> APIRouter:
    router = APIRouter()
    limit = _limited(limiter, ctx.config.rate_limit)

    @router.get("/healthz", response_class=PlainTextResponse)
    async def healthz() -> Response:
        return PlainTextResponse("ok")

    @router.get("/static/site.css")
    async def site_css() -> Response:
        return Response(stylesheet(), media_type="text/css")

    @router.api_route("/act/{token}", methods=["GET", "HEAD"])
    @limit
    async def open_link(request: Request, token: str) -> Response:
        form_token = ctx.guard.for_page(request.cookies.get(COOKIE))
        return await run_in_threadpool(views.show, ctx, token, form_token)

    @router.api_route("/act/{token}/letter.{fmt}", methods=["GET", "HEAD"])
    @limit
    async def read_letter(request: Request, token: str, fmt: str) -> Response:
        return await run_in_threadpool(letter.file, ctx, token, fmt)

    @router.api_route("/act/{token}/report.pdf", methods=["GET", "HEAD"])
    @limit
    async def read_report(request: Request, token: str) -> Response:
        return await run_in_threadpool(signoff.pdf, ctx, token)

    @router.api_route("/act/{token}/report.docx", methods=["GET", "HEAD"])
    @limit
    async def read_report_docx(request: Request, token: str) -> Response:
        return await run_in_threadpool(signoff.docx, ctx, token)

    @router.post("/act/{token}")
    @limit
    async def act_on_link(request: Request, token: str) -> Response:
        try:
            form = await ctx.guard.checked_form(request, max_bytes=ctx.config.max_form_bytes)
        except CsrfRefused:
            # A sign-off already decided or finished (a form left open overnight) says what
            # happened rather than "reload and try again": reloading would not help.
            said = await run_in_threadpool(signoff_finished.finished, ctx, token, posted=True)
            if said is None:
                raise
            return said
        return await run_in_threadpool(views.act, ctx, token, form)

    return router
