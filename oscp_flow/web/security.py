"""Headers every response carries, error pages included.

Links arrive by e-mail and pages show safeguarding work, so: no referrer (the URL holds the
token), nothing cached (a shared computer's back button must not show a return), nothing
loaded from anywhere but this app, and no framing. A site whose base URL is https also tells
browsers to use nothing but https for it (HSTS), so a first visit typed without it, or a
network that strips it, cannot show the pages or the session cookie in clear; a site on http
(a developer's machine) never does, or the browser would refuse that host's pages for a year.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
)

HSTS = "max-age=31536000; includeSubDomains"
HTTPS_HEADERS: Mapping[str, str] = MappingProxyType({**HEADERS, "Strict-Transport-Security": HSTS})


def headers_for(*, https: bool) -> Mapping[str, str]:
    return HTTPS_HEADERS if https else HEADERS


# Only this header may be set by a route itself; every other one is always the app's.
OWN_POLICY_ALLOWED = frozenset({"Content-Security-Policy"})


def with_security_headers(response: Response, *, https: bool) -> Response:
    """For responses made outside the middleware (the last-resort 500 page)."""
    response.headers.update(headers_for(https=https))
    return response


class SecurityHeaders:
    """Pure ASGI, so it also covers responses that bypass route code (404, 405, 429)."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = headers_for(https=https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name in OWN_POLICY_ALLOWED and name in headers:
                        continue  # a route's own, narrower policy (a frozen letter's)
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
