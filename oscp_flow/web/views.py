"""Which page a link opens, and which action a posted form asks for.

Opening dispatches on the purpose the link was minted for (a token has exactly one). Acting
dispatches on the purpose the form names, and the engine checks it against the link: a
sign-off link posted as a return is refused as not recognised, and the refusal recorded.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from oscp_flow.web import action_link, assurance, letter, returns_view, signoff
from oscp_flow.web.context import WebContext
from oscp_flow.web.csrf import FormToken
from states.errors import TokenInvalid
from states.persistence.vocabulary import LinkPurpose
from states.services import lookup

Show = Callable[[WebContext, str, FormToken], HTMLResponse]
Act = Callable[[WebContext, str, FormData], HTMLResponse]

SHOW: dict[LinkPurpose, Show] = {
    LinkPurpose.SIGN_OFF: signoff.show,
    LinkPurpose.RETURN: returns_view.show,
    LinkPurpose.ASSURANCE: assurance.show,
    LinkPurpose.ACTION: action_link.show,
    LinkPurpose.LETTER: letter.show,
}
ACT: dict[LinkPurpose, Act] = {
    LinkPurpose.SIGN_OFF: signoff.act,
    LinkPurpose.RETURN: returns_view.act,
    LinkPurpose.ASSURANCE: assurance.act,
    LinkPurpose.ACTION: action_link.act,
    LinkPurpose.LETTER: letter.act,
}


def show(ctx: WebContext, token: str, form_token: FormToken) -> HTMLResponse:
    """Read-only: mail scanners open links before people do."""
    purpose = lookup.grant(ctx.deps, token).purpose
    return SHOW[purpose](ctx, token, form_token)


def act(ctx: WebContext, token: str, form: FormData) -> HTMLResponse:
    purpose = form.get("purpose")
    if not isinstance(purpose, str) or purpose not in ACT:
        raise TokenInvalid()
    return ACT[LinkPurpose(purpose)](ctx, token, form)
