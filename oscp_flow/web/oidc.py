"""Sign-in with the organisation's account: the sign-in page's "Sign in with …" links, the
way out to the provider and the way back.

``/signin/oidc/<name>`` asks the engine for a new attempt (``identity_sign_ins.begin``) and
sends the browser to the provider with its state, nonce and PKCE challenge; the browser keeps
the state in a cookie scoped to that provider's callback (HttpOnly, Lax so the provider's
redirect brings it, ten minutes). ``/signin/oidc/<name>/callback`` takes the attempt once
(``identity_sign_ins.take``: the cookie must match, an attempt is good for ten minutes and one
callback), has the code exchanged and the ID token verified (``oidc_client``), asks the engine
who that is (``identity_sign_ins.sign_in``) and starts a session exactly as the password form
does (``oscp_flow.web.session``), so sign-out, role loss and removal end it alike. Every
refusal is a plain page saying why in one sentence, with the way back to the password form.

The session cookie is SameSite=Strict, and the provider's redirect is a navigation from
another site, after which a browser sends no Strict cookie even on a further redirect: so the
callback answers with a page of its own that moves on to the person's page at once (a meta
refresh, no script), a navigation from this site that carries the new cookie.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar, cast

from fastapi import APIRouter
from slowapi import Limiter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from oscp_flow.settings import Settings
from oscp_flow.web.context import WebContext
from oscp_flow.web.coordinator import NEXT
from oscp_flow.web.cycle import work
from oscp_flow.web.oidc_client import ProviderClient
from oscp_flow.web.session import Sessions
from states.errors import (
    EmailNotVerified,
    IdentityNotProven,
    IdentitySignInRefused,
    NotFound,
    NotInDirectory,
    ProviderUnreachable,
)
from states.services import identity_sign_ins
from states.services.identity_sign_ins import ATTEMPT_LIFETIME, Attempt

Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Response]])
log = logging.getLogger("oscp_flow.web.oidc")
COOKIE = "oscp_oidc"
STATUS: dict[type[Exception], int] = {
    EmailNotVerified: 403,
    NotInDirectory: 403,
    ProviderUnreachable: 502,
}
HEADINGS: dict[type[Exception], str] = {
    NotInDirectory: "You cannot sign in here",
    EmailNotVerified: "Your e-mail address is not confirmed",
    ProviderUnreachable: "Your organisation's sign-in is not answering",
}


@dataclass(frozen=True)
class ProviderLink:
    """A button on the sign-in page."""

    label: str
    href: str


def provider_links(settings: Settings, prefix: str) -> list[ProviderLink]:
    """The sign-in page's buttons (the page adds the page asked for, if any)."""
    return [
        ProviderLink(p.label, f"{prefix}/signin/oidc/{p.name}") for p in settings.oidc_providers
    ]


def build_oidc_router(
    ctx: WebContext, limiter: Limiter, settings: Settings, *, secure_cookies: bool
) -> APIRouter:
    routes = IdentityRoutes(ctx, settings, secure=secure_cookies)
    limit = cast(
        Callable[[Endpoint], Endpoint],
        limiter.shared_limit(ctx.config.signin_rate_limit, scope="signin"),
    )
    router = APIRouter()
    router.add_api_route("/signin/oidc/{name}", limit(routes.begin), methods=["GET"])
    router.add_api_route("/signin/oidc/{name}/callback", limit(routes.callback), methods=["GET"])
    return router


class IdentityRoutes:
    def __init__(self, ctx: WebContext, settings: Settings, *, secure: bool) -> None:
        self.ctx = ctx
        self.prefix = ctx.pages.paths.prefix
        self.secure = secure
        base = settings.base_url.rstrip("/")
        self.clients = {
            p.name: ProviderClient(
                p, redirect_uri=f"{base}/signin/oidc/{p.name}/callback", clock=ctx.deps.clock
            )
            for p in settings.oidc_providers
        }
        # The same sessions as the password form's: one cookie, one table, one way to end.
        self.sessions = Sessions(
            ctx.config.session_secret.get_secret_value(),
            deps=ctx.deps,
            lifetime=timedelta(seconds=ctx.config.session_lifetime_seconds),
            secure=secure,
            path=f"{self.prefix}/",
        )

    def client(self, name: str) -> ProviderClient:
        found = self.clients.get(name)
        if found is None:
            raise NotFound("sign-in provider", name[:40])
        return found

    async def begin(self, request: Request, name: str) -> Response:
        """Off to the provider, with a new attempt and its cookie."""
        client = self.client(name)
        wanted = request.query_params.get("next", "")
        next_page = wanted if NEXT.fullmatch(wanted) else ""
        try:
            # Discovery first: a provider that is down costs no attempt.
            await run_in_threadpool(client.metadata)
            attempt = await run_in_threadpool(
                identity_sign_ins.begin, self.ctx.deps, provider=name, next_page=next_page
            )
            target = await run_in_threadpool(client.authorization_url, attempt)
        except IdentitySignInRefused as refused:
            return self.refusal(refused)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            attempt.state,
            max_age=int(ATTEMPT_LIFETIME.total_seconds()),
            path=self.callback_path(name),
            secure=self.secure,
            httponly=True,
            # Lax: the provider's redirect back is a navigation from its site, which a
            # Strict cookie would not come with; Lax still stays home on any other site's POST.
            samesite="lax",
        )
        return response

    async def callback(self, request: Request, name: str) -> Response:
        client = self.client(name)
        try:
            attempt = await run_in_threadpool(self.taken, request, client)
            code = request.query_params.get("code", "")
            identity = await run_in_threadpool(client.identity, code=code, attempt=attempt)
            signed = await run_in_threadpool(
                identity_sign_ins.sign_in, self.ctx.deps, provider=name, identity=identity
            )
        except (IdentitySignInRefused, NotInDirectory) as refused:
            return self.forget_attempt(self.refusal(refused), name)
        page = await run_in_threadpool(self.signed_in, request, signed.person_id, attempt)
        return self.forget_attempt(page, name)

    def taken(self, request: Request, client: ProviderClient) -> Attempt:
        """The attempt this way back belongs to, spent; refused when the provider sent an
        error (cancelled or refused there; it need not send the state back) or no code."""
        params, name = request.query_params, client.provider.name
        if "error" in params:
            log.info("sign-in through %s: the provider sent an error", name)
            raise IdentityNotProven(client.provider.label)
        attempt = identity_sign_ins.take(
            self.ctx.deps,
            provider=name,
            state=params.get("state", ""),
            bound=request.cookies.get(COOKIE),
        )
        if not params.get("code"):
            raise IdentityNotProven(client.provider.label)
        return attempt

    def signed_in(self, request: Request, person_id: int, attempt: Attempt) -> HTMLResponse:
        """A session, as after a password, on a page that moves on to where they were going."""
        target = (
            f"{self.prefix}{attempt.next_page}"
            if attempt.next_page
            else work.landing(self.ctx, person_id)
        )
        page = self.ctx.pages.render("oidc_signed_in.html", 200, title="Signed in", target=target)
        self.sessions.start(request, page, person_id)
        return page

    def callback_path(self, name: str) -> str:
        return f"{self.prefix}/signin/oidc/{name}/callback"

    def forget_attempt(self, response: HTMLResponse, name: str) -> HTMLResponse:
        response.delete_cookie(
            COOKIE,
            path=self.callback_path(name),
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )
        return response

    def refusal(self, refused: Exception) -> HTMLResponse:
        kind = type(refused)
        return self.ctx.pages.render(
            "oidc_refused.html",
            STATUS.get(kind, 400),
            title=HEADINGS.get(kind, "You have not been signed in"),
            message=str(refused),
            signin=f"{self.prefix}/signin",
        )
