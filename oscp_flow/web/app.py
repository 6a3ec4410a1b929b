"""The app factory: the engine's dependencies and settings in, a FastAPI app out."""

from __future__ import annotations

from fastapi import FastAPI
from slowapi import Limiter
from slowapi.util import get_remote_address
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from oscp_flow.settings import Settings
from oscp_flow.web import errors
from oscp_flow.web.config import WebConfig
from oscp_flow.web.context import WebContext
from oscp_flow.web.coordinator import build_coordinator_router
from oscp_flow.web.csrf import FormGuard
from oscp_flow.web.oidc import build_oidc_router, provider_links
from oscp_flow.web.pages import Pages, SitePaths
from oscp_flow.web.routes import build_router
from oscp_flow.web.security import SecurityHeaders
from states.rules.passwords import HashingSlots
from states.services.deps import Deps


def create_app(deps: Deps, settings: Settings, config: WebConfig | None = None) -> FastAPI:
    """The web app behind e-mailed links. ``config`` defaults to ``WebConfig()`` (from the
    environment); tests pass one to raise or switch off the rate limit."""
    config = config or WebConfig()
    paths = SitePaths.from_base_url(settings.base_url)
    guard = FormGuard(
        config.csrf_secret.get_secret_value(),
        secure_cookie=settings.base_url.startswith("https://"),
        lifetime_seconds=config.form_lifetime_seconds,
    )
    context = WebContext(
        deps=deps,
        pages=Pages(paths, settings.partnership_name),
        guard=guard,
        config=config,
        home=settings.home,
    )
    limiter = Limiter(
        key_func=get_remote_address,
        enabled=config.rate_limit_enabled,
        storage_uri="memory://",
        key_style="endpoint",
    )
    # No generated API docs: they would load scripts from a CDN and describe nothing a
    # person needs.
    app = FastAPI(title="OSCP action links", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.limiter = limiter
    # The process's password hashing slots: one app serves a process, so this is the cap.
    hashing = HashingSlots(config.hashing_limit, wait_seconds=config.hashing_wait_seconds)
    app.state.hashing = hashing
    app.include_router(build_router(context, limiter))
    secure = settings.base_url.startswith("https://")
    app.include_router(
        build_coordinator_router(
            context,
            limiter,
            secure_cookies=secure,
            hashing=hashing,
            providers=provider_links(settings, paths.prefix),
        )
    )
    app.include_router(build_oidc_router(context, limiter, settings, secure_cookies=secure))
    errors.install(app, context.pages, https=secure)
    app.add_middleware(SecurityHeaders, https=secure)
    if config.trusted_proxies:
        # Added last, so it runs first: the rate limits and sign-in throttling that follow
        # see the client the proxy forwarded for. Only from a configured proxy; the server
        # running the app must not rewrite the client itself (``oscp web`` turns it off).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(config.trusted_proxies))
    return app
