"""The action link: an owner agency's lead sees their agency's action, says it is under way,
and sends the evidence of its impact for the learning hub to review.

Both forms need something only a person gives: the evidence is typed, and "under way" needs
its box ticked. A mail scanner that submits the forms it finds, as they are, changes nothing.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from oscp_flow.web.context import WebContext
from oscp_flow.web.csrf import FormToken
from oscp_flow.web.return_form import ErrorLink
from states.errors import InvalidInput
from states.services import action_links
from states.services.action_links import ActionLinkPage
from states.services.actions import MAX_TEXT, WORDS

STEPS = ("start", "evidence")
NOT_TICKED = "Tick the box to say that your agency has started on the action."


def show(ctx: WebContext, token: str, form_token: FormToken) -> HTMLResponse:
    page = action_links.open_action_link(ctx.deps, token)
    return _render(ctx, token, page, form_token)


def act(ctx: WebContext, token: str, form: FormData) -> HTMLResponse:
    page = action_links.open_action_link(ctx.deps, token)
    again = FormToken.posted(form)
    step = str(form.get("step", ""))
    if step not in STEPS:
        raise InvalidInput("Choose whether the action is under way or you are sending evidence.")
    if step == "start":
        if form.get("under_way") != "yes":
            return _render(ctx, token, page, again, start_error=NOT_TICKED, status=400)
        action_links.start_by_link(ctx.deps, token)
        return _done(ctx, token, page, "action_started", "Action under way")
    evidence = str(form.get("evidence", ""))
    error = _problem(evidence)
    if error:
        return _render(ctx, token, page, again, evidence=evidence, error=error, status=400)
    action_links.submit_evidence_by_link(ctx.deps, token, evidence=evidence.strip())
    return _done(ctx, token, page, "action_evidence", "Evidence sent")


def _problem(evidence: str) -> str | None:
    """Checked here as well as in the engine, so the person sees the message beside the box."""
    if not evidence.strip():
        return "Describe the evidence that the action has made a difference."
    if len(evidence.strip()) > MAX_TEXT:
        return f"Keep the evidence under {MAX_TEXT:,} characters."
    return None


def _done(
    ctx: WebContext, token: str, page: ActionLinkPage, outcome: str, title: str
) -> HTMLResponse:
    return ctx.pages.render(
        "done.html", title=title, outcome=outcome, page=page, again=ctx.pages.paths.act(token)
    )


def _render(
    ctx: WebContext,
    token: str,
    page: ActionLinkPage,
    form_token: FormToken,
    *,
    evidence: str = "",
    error: str | None = None,
    start_error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    summary = [
        ErrorLink(f"#{field}", text)
        for field, text in (("under_way", start_error), ("evidence", error))
        if text
    ]
    return ctx.form_page(
        "action.html",
        token,
        form_token,
        status=status,
        title=f"Action {page.number} from audit {page.audit}",
        page=page,
        status_words=WORDS[page.status],
        evidence=evidence,
        error=error,
        start_error=start_error,
        max_text=MAX_TEXT,
        summary=summary,
    )
