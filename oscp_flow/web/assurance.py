"""The assurance link: an agency's strategic lead says what was done about an immediate-risk
concern. The concern's own words are never shown: only the agency and when it was raised."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from oscp_flow.web.context import WebContext
from oscp_flow.web.csrf import FormToken
from oscp_flow.web.return_form import ErrorLink
from states.persistence.vocabulary import LinkPurpose
from states.rules.answers import MAX_TEXT
from states.services import links, lookup
from states.services.links import LinkPage


def show(ctx: WebContext, token: str, form_token: FormToken) -> HTMLResponse:
    page = links.open_link(ctx.deps, token, purpose=LinkPurpose.ASSURANCE)
    return _render(ctx, token, page, form_token)


def act(ctx: WebContext, token: str, form: FormData) -> HTMLResponse:
    page = links.open_link(ctx.deps, token, purpose=LinkPurpose.ASSURANCE)
    again = FormToken.posted(form)
    assurance = str(form.get("assurance", ""))
    error = _problem(assurance)
    if error:
        return _render(ctx, token, page, again, assurance=assurance, error=error, status=400)
    links.give_assurance(ctx.deps, token, assurance=assurance.strip())
    return ctx.pages.render("done.html", title="Assurance recorded", outcome="assurance", page=page)


def _problem(assurance: str) -> str | None:
    if not assurance.strip():
        return "Say what your agency has done, or will do, about the concern."
    if len(assurance) > MAX_TEXT:
        return f"Keep the assurance under {MAX_TEXT:,} characters."
    return None


def _render(
    ctx: WebContext,
    token: str,
    page: LinkPage,
    form_token: FormToken,
    *,
    assurance: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    grant = lookup.grant(ctx.deps, token)
    return ctx.form_page(
        "assurance.html",
        token,
        form_token,
        status=status,
        title=f"Give assurance on audit {page.audit}",
        page=page,
        agency=lookup.agency_name(ctx.deps, page.agency) or page.agency,
        raised_at=lookup.concern_raised_at(ctx.deps, grant.escalation_id),
        assurance=assurance,
        error=error,
        summary=[ErrorLink("#assurance", error)] if error else [],
    )
