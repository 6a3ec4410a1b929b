"""Which page a link opens, and which action a posted form asks for.

Opening dispatches on the purpose the link was minted for (a token has exactly one). Acting
dispatches on the purpose the form names, and the engine checks it against the link: a
sign-off link posted as a return is refused as not recognised, and the refusal recorded.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from oscp_flow.web import action_link, assurance, letter, lookup, returns_view, signoff
from oscp_flow.web.context import WebContext
from oscp_flow.web.csrf import FormToken
from states.errors import TokenInvalid

Show = Callable[[WebContext, str, FormToken], HTMLResponse]
Act = Callable[[WebContext, str, FormData], HTMLResponse]

SHOW: dict[str, Show] = {
    "sign_off": signoff.show,
    "return": returns_view.show,
    "assurance": assurance.show,
    "action": action_link.show,
    "letter": letter.show,
}
ACT: dict[str, Act] = {
    "sign_off": signoff.act,
    "return": returns_view.act,
    "assurance": assurance.act,
    "action": action_link.act,
    "letter": letter.act,
}


def show(ctx: WebContext, token: str, form_token: FormToken) -> HTMLResponse:
    """Read-only: mail scanners open links before people do."""
    purpose = lookup.grant(ctx.deps, token).purpose
    return SHOW[purpose](ctx, token, form_token)


def act(ctx: WebContext, token: str, form: FormData) -> HTMLResponse:
    purpose = form.get("purpose")
    handler = ACT.get(purpose) if isinstance(purpose, str) else None
    if handler is None:
        raise TokenInvalid()
    return handler(ctx, token, form)
