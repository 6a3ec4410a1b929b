"""The sign-off link: a learning hub member or statutory partner approves, or refuses and
says what further assurance they need."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from oscp_flow.web.context import WebContext
from oscp_flow.web.csrf import FormToken
from oscp_flow.web.return_form import ErrorLink
from states.persistence.vocabulary import LinkPurpose
from states.rules.answers import MAX_TEXT
from states.rules.gates import Decision
from states.services import links, lookup
from states.services.links import LinkPage

DECISIONS = tuple(Decision)


def show(ctx: WebContext, token: str, form_token: FormToken) -> HTMLResponse:
    page = links.open_link(ctx.deps, token, purpose=LinkPurpose.SIGN_OFF)
    return _render(ctx, token, page, form_token)


def act(ctx: WebContext, token: str, form: FormData) -> HTMLResponse:
    page = links.open_link(ctx.deps, token, purpose=LinkPurpose.SIGN_OFF)
    again = FormToken.posted(form)
    decision = str(form.get("decision", ""))
    comment = str(form.get("comment", ""))
    problems = _problems(decision, comment)
    if problems:
        kept = {"decision": decision, "comment": comment}
        return _render(ctx, token, page, again, kept=kept, errors=problems, status=400)
    before = lookup.grant(ctx.deps, token).state
    after = links.decide_sign_off(
        ctx.deps, token, decision=decision, comment=comment.strip() or None
    )
    return ctx.pages.render(
        "done.html",
        title="Decision recorded",
        outcome=f"{decision}_{'moved' if after != before else 'waiting'}",
        page=page,
    )


def _problems(decision: str, comment: str) -> dict[str, str]:
    """Checked here as well as in the engine, so the person sees the message beside the box."""
    if decision not in DECISIONS:
        return {"decision": "Choose whether you approve or refuse sign-off."}
    if decision == Decision.REFUSE and not comment.strip():
        return {"comment": "Say what further assurance you need before you can approve."}
    if len(comment) > MAX_TEXT:
        return {"comment": f"Keep the comment under {MAX_TEXT:,} characters."}
    return {}


def _render(
    ctx: WebContext,
    token: str,
    page: LinkPage,
    form_token: FormToken,
    *,
    kept: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return ctx.form_page(
        "sign_off.html",
        token,
        form_token,
        status=status,
        title=f"Sign off audit {page.audit}",
        page=page,
        kept=kept or {"decision": "", "comment": ""},
        errors=errors or {},
        summary=[ErrorLink(f"#{name}", text) for name, text in (errors or {}).items()],
    )
