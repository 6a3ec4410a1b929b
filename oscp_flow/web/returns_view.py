"""The return link: the agency's own return (or one per sampled case) to save or submit.

The agency comes from the link, never from the request; for per-case tools the posted case
must be one of the cases this link's page lists, or the request is refused as not found.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from oscp_flow.web.context import WebContext
from oscp_flow.web.csrf import FormToken
from oscp_flow.web.errors import NotOnThisLink
from oscp_flow.web.return_form import CaseForm, ErrorLink, build, field_errors, posted_answers
from states.definitions.tool import ToolDefinition
from states.errors import ReturnIncomplete
from states.persistence.vocabulary import ReturnStatus
from states.services import links, lookup
from states.services.links import LinkPage


@dataclass(frozen=True)
class Posted:
    """What one case form brought back, to show again beside its problems."""

    case: str | None
    answers: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    summary: str | None = None


def show(ctx: WebContext, token: str, form_token: FormToken) -> HTMLResponse:
    return _render(ctx, token, links.link_page_returns(ctx.deps, token), form_token)


def act(ctx: WebContext, token: str, form: FormData) -> HTMLResponse:
    page = links.link_page_returns(ctx.deps, token)
    again = FormToken.posted(form)
    tool = _tool(page)
    case = _chosen_case(page, tool, form)
    answers = posted_answers(tool, page.phase, form)
    submit = form.get("intent") == "submit"
    try:
        view = links.save_return(ctx.deps, token, case=case, answers=answers, submit=submit)
    except ReturnIncomplete as problems:
        errors = field_errors(problems.problems)
        posted = Posted(case, answers, errors, None if errors else str(problems))
        return _render(ctx, token, page, again, posted=posted, status=400)
    if not submit:
        fresh = links.link_page_returns(ctx.deps, token)
        return _render(ctx, token, fresh, again, notice=_saved(case))
    remaining = [
        c
        for c, r in zip(page.cases, page.returns, strict=True)
        if r.status != ReturnStatus.SUBMITTED
    ]
    if set(remaining) <= {view.case}:
        return ctx.pages.render(
            "done.html", title="Return submitted", outcome="return_all", page=page
        )
    fresh = links.link_page_returns(ctx.deps, token)
    return _render(ctx, token, fresh, again, notice=_submitted(case, len(remaining) - 1))


def _tool(page: LinkPage) -> ToolDefinition:
    assert page.tool is not None, "a return link's page always carries its tool"
    return page.tool


def _chosen_case(page: LinkPage, tool: ToolDefinition, form: FormData) -> str | None:
    if tool.completed_per == "agency":
        return None  # any posted case (or agency) is ignored: the link decides
    posted = form.get("case")
    if not isinstance(posted, str) or posted not in page.cases:
        raise NotOnThisLink()
    return posted


def _saved(case: str | None) -> str:
    which = f"for case {case} " if case else ""
    return (
        f"Your draft {which}is saved. Nothing goes to the partnership until you submit; "
        "you can come back to this link to carry on."
    )


def _submitted(case: str | None, left: int) -> str:
    which = f"for case {case} " if case else ""
    plural = "return" if left == 1 else "returns"
    return f"Your return {which}is submitted and locked. {left} {plural} still to complete."


def _render(
    ctx: WebContext,
    token: str,
    page: LinkPage,
    form_token: FormToken,
    *,
    posted: Posted | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    tool = _tool(page)
    forms = [_case_form(tool, page, n, posted) for n in range(len(page.cases))]
    errors: tuple[ErrorLink, ...] = ()
    for form in forms:
        errors += form.errors
    return ctx.form_page(
        "return.html",
        token,
        form_token,
        status=status,
        title=tool.title,
        page=page,
        tool=tool,
        agency=lookup.agency_name(ctx.deps, page.agency) or page.agency,
        forms=forms,
        errors=errors,
        summary=None if posted is None else posted.summary,
        notice=notice,
    )


def _case_form(
    tool: ToolDefinition, page: LinkPage, number: int, posted: Posted | None
) -> CaseForm:
    case = page.cases[number]
    saved = page.returns[number]
    values = dict(saved.answers)
    errors: dict[str, str] = {}
    if posted is not None and posted.case == case:
        values.update(posted.answers)
        errors = posted.errors
    return build(
        tool,
        page.phase,
        number=number,
        case=case,
        status=saved.status,
        values=values,
        errors=errors,
    )
