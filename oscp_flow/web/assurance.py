"""The assurance link: an agency's strategic lead (or, where it has none, its agency lead)
reads an immediate-risk concern and says what was done about it, on one page.

The concern's words are shown here, behind the holder's own link, and nowhere else an agency
can reach (never in the e-mail that carries the link); each time the page is built the read
is kept (``states.services.concern_reads``). The page after the assurance does not repeat
them."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from oscp_flow.web.context import WebContext
from oscp_flow.web.csrf import FormToken
from oscp_flow.web.return_form import ErrorLink
from states.persistence.vocabulary import LinkPurpose
from states.rules.answers import MAX_TEXT
from states.services import concern_reads, links


def show(ctx: WebContext, token: str, form_token: FormToken) -> HTMLResponse:
    return _render(ctx, token, form_token)


def act(ctx: WebContext, token: str, form: FormData) -> HTMLResponse:
    again = FormToken.posted(form)
    assurance = str(form.get("assurance", ""))
    error = _problem(assurance)
    if error:
        return _render(ctx, token, again, assurance=assurance, error=error, status=400)
    page = links.open_link(ctx.deps, token, purpose=LinkPurpose.ASSURANCE)
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
    form_token: FormToken,
    *,
    assurance: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    page, concern = concern_reads.read_by_link(ctx.deps, token)
    return ctx.form_page(
        "assurance.html",
        token,
        form_token,
        status=status,
        title=f"Read and answer a concern on audit {page.audit}",
        page=page,
        concern=concern,
        assurance=assurance,
        error=error,
        summary=[ErrorLink("#assurance", error)] if error else [],
    )
