"""The sign-off link: a learning hub member or statutory partner reads the frozen summary
report (on the page, or as its PDF or Word version), then approves, or refuses and says what
further assurance they need. After a refusal the page first shows what changed since the
version sent back."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from notifications.publishing import frozen_docx, frozen_in_page, frozen_pdf
from notifications.reports import SECTION_TITLES
from oscp_flow.web import signoff_finished
from oscp_flow.web.context import WebContext
from oscp_flow.web.csrf import FormToken
from oscp_flow.web.return_form import ErrorLink
from oscp_flow.web.word_download import word_download
from states.errors import NotFound
from states.rules.answers import MAX_TEXT
from states.rules.gates import Decision
from states.services.links import SignOffPage
from states.services.sign_off_report import SubmittedReport, submitted_report

DECISIONS = tuple(Decision)


def show(ctx: WebContext, token: str, form_token: FormToken) -> HTMLResponse:
    page = signoff_finished.opened(ctx, token, posted=False)
    if isinstance(page, HTMLResponse):  # decided, or the round has ended: what happened
        return page
    return _render(ctx, token, page, form_token)


def act(ctx: WebContext, token: str, form: FormData) -> HTMLResponse:
    decision = str(form.get("decision", ""))
    comment = str(form.get("comment", ""))
    problems = _problems(decision, comment)
    if problems:
        page = signoff_finished.opened(ctx, token, posted=True)
        if isinstance(page, HTMLResponse):
            return page
        kept = {"decision": decision, "comment": comment}
        again = FormToken.posted(form)
        return _render(ctx, token, page, again, kept=kept, errors=problems, status=400)
    # One unit of work checks the link, reads what the page says and records the decision:
    # the checks it would pass beforehand are made again under the audit's lock anyway.
    done = signoff_finished.decided(ctx, token, decision=decision, comment=comment.strip() or None)
    if isinstance(done, HTMLResponse):
        return done
    return ctx.pages.render(
        "done.html",
        title="Decision recorded",
        outcome=f"{decision}_{'moved' if done.moved else 'waiting'}",
        page=done.page,
    )


def pdf(ctx: WebContext, token: str) -> Response:
    """The frozen report's PDF, behind the same checks as the page, made from the version
    the member is asked to sign off."""
    submitted = submitted_report(ctx.deps, token)
    if submitted.report is None:
        raise NotFound("frozen summary report of audit", submitted.audit)
    name = f"{submitted.audit}-summary-report-v{submitted.report.version}.pdf"
    return Response(
        frozen_pdf(submitted.report),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def docx(ctx: WebContext, token: str) -> Response:
    """The frozen report as a Word document, behind the same checks as its PDF, carrying the
    content hash the page shows in its properties."""
    submitted = submitted_report(ctx.deps, token)
    if submitted.report is None:
        raise NotFound("frozen summary report of audit", submitted.audit)
    name = f"{submitted.audit}-summary-report-v{submitted.report.version}.docx"
    return word_download(frozen_docx(submitted.report), name)


def _report(ctx: WebContext, token: str, submitted: SubmittedReport | None) -> dict[str, object]:
    """What the page shows above the form: the report in the page, where to download it, and
    what changed since the version sent back."""
    if submitted is None or submitted.report is None:
        return {"report": None}
    return {
        "report": submitted.report,
        "report_html": frozen_in_page(submitted.report),
        "download": f"{ctx.pages.paths.act(token)}/report.pdf",
        "download_docx": f"{ctx.pages.paths.act(token)}/report.docx",
        "previous": submitted.previous,
        "changes": submitted.changes,
        "section_titles": SECTION_TITLES,
    }


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
    opened: SignOffPage,
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
        title=f"Sign off audit {opened.page.audit}",
        page=opened.page,
        kept=kept or {"decision": "", "comment": ""},
        errors=errors or {},
        summary=[ErrorLink(f"#{name}", text) for name, text in (errors or {}).items()],
        **_report(ctx, token, opened.report),
    )
