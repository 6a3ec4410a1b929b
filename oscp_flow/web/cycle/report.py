"""The summary report's editor: the four sections in one form beside the figures from the
findings, a preview as the report will print (HTML and PDF), and sending it for sign-off.

One form holds the four sections. "Save draft" saves them; "Send for sign-off" (the same
form, posted to its own address) saves what is typed and then fires the step the audit's type
declares into sign-off, which freezes that version: nothing typed is lost on the way. After a
refusal the members' decisions and comments stand beside the editor, with what this version
has changed since the one sent back. Once sent, or signed off, the page shows the words
read-only and says why.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from notifications.publishing import current_summary, current_summary_docx
from oscp_flow.web.context import WebContext
from oscp_flow.web.coordinator_views import REPORT_SECTIONS
from oscp_flow.web.cycle.common import Refusal, attempt, back_to, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from oscp_flow.web.letter import LETTER_POLICY
from oscp_flow.web.return_form import ErrorLink
from oscp_flow.web.word_download import word_download
from states.definitions.gate_names import REASON_GIVEN
from states.errors import AuditEngineError, GateBlocked, PermissionDenied
from states.services import audits, reports, sign_off_views
from states.services.report_desk import ReportDesk, ReportStage, report_desk, require_writer
from states.services.web_sessions import Viewer

if TYPE_CHECKING:
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
SECTIONS = tuple(key for key, _ in REPORT_SECTIONS)
# Four sections of up to 20,000 characters, each character up to 9 bytes once form-encoded.
REPORT_FORM_BYTES = 4 * reports.MAX_SECTION * 9 + 20_000
HINTS: Mapping[str, str] = {
    "working_well": "The strengths the returns and moderation found: practice to keep and "
    "to share.",
    "emerging_concerns": "The gaps and risks found, and any theme across agencies. Use case "
    "references, never a child's name.",
    "recommendations": 'The most significant areas for change. Start each line with "- " to '
    "make a list: each can become an action for an agency.",
    "reflection": "How the audit itself went: the tool, the sample, the timetable, and what "
    "to do differently next time.",
}
REASON_NEEDED = "Say what further assurance this version gives the members."
DONE = ("saved", "sent")


def add_routes(router: APIRouter, area: Area) -> None:
    ctx = area.ctx
    reading = ["GET", "HEAD"]

    async def editor(request: Request, reference: str) -> Response:
        done = request.query_params.get("done")
        said = done if done in DONE else None
        return await area.show(request, lambda v: editor_page(ctx, v, reference, done=said))

    async def preview(request: Request, reference: str) -> Response:
        return await area.show(request, lambda v: preview_html(ctx, v, reference))

    async def preview_pdf(request: Request, reference: str) -> Response:
        return await area.show(request, lambda v: preview_file(ctx, v, reference))

    async def preview_docx(request: Request, reference: str) -> Response:
        return await area.show(request, lambda v: preview_word(ctx, v, reference))

    async def save(request: Request, reference: str) -> Response:
        return await area.posted(
            request,
            lambda v, form: save_draft(ctx, v, reference, form),
            max_bytes=REPORT_FORM_BYTES,
        )

    async def submit(request: Request, reference: str) -> Response:
        return await area.posted(
            request, lambda v, form: send(ctx, v, reference, form), max_bytes=REPORT_FORM_BYTES
        )

    page = "/audits/{reference}/report"
    router.add_api_route(page, editor, methods=reading)
    router.add_api_route(f"{page}/preview", preview, methods=reading)
    router.add_api_route(f"{page}/preview.pdf", preview_pdf, methods=reading)
    router.add_api_route(f"{page}/preview.docx", preview_docx, methods=reading)
    router.add_api_route("/audits/{reference}/do/report-save", save, methods=["POST"])
    router.add_api_route("/audits/{reference}/do/report-submit", submit, methods=["POST"])


def editor_page(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    *,
    done: str | None = None,
    refusal: Refusal | None = None,
    refused_by: str = "",
) -> HTMLResponse:
    """The editor (read-only once sent), with what the last form did or why it was refused."""
    desk = report_desk(ctx.deps, audit=reference, viewer=viewer.id)
    log.info("person %d read the summary report of audit %s", viewer.id, desk.reference)
    links = CycleLinks(ctx.pages.paths.prefix)
    posts = _posts(links, desk)
    return cycle_page(
        ctx,
        viewer,
        "cycle_report.html",
        title=f"Summary report of audit {desk.reference}",
        reference=desk.reference,
        form_posts=posts,
        refusal=refusal,
        desk=desk,
        stage=ReportStage,
        sections=REPORT_SECTIONS,
        section_titles=dict(REPORT_SECTIONS),
        hints=HINTS,
        kept=refusal.typed if refusal and refusal.typed else desk.words.sections,
        sign_off=sign_off_views.sign_off_of(ctx.deps, audit=desk.reference, viewer=viewer.id),
        done=done,
        refused_by=refused_by,
        summary=_summary(refusal, refused_by),
    )


def _posts(links: CycleLinks, desk: ReportDesk) -> list[str]:
    if not desk.words.editable:
        return []
    save = [links.post(desk.reference, "report-save")]
    return save + ([links.post(desk.reference, "report-submit")] if desk.submission else [])


def _summary(refusal: Refusal | None, refused_by: str) -> list[ErrorLink]:
    """The error summary: each field's message, then the form's own beside its button."""
    if refusal is None:
        return []
    links = refusal.summary
    if refusal.message:
        links.append(ErrorLink(f"#{refused_by or 'save'}-error", refusal.message))
    return links


def preview_html(ctx: WebContext, viewer: Viewer, reference: str) -> Response:
    """The report as it will print: the frozen version, or the draft as it stands (marked
    so). It carries its own styles and loads nothing, as a letter does."""
    require_writer(ctx.deps, audit=reference, viewer=viewer.id)
    rendered = current_summary(ctx.deps, audit=reference)
    log.info("person %d previewed the summary report of audit %s", viewer.id, reference)
    return HTMLResponse(rendered.html, headers={"Content-Security-Policy": LETTER_POLICY})


def preview_file(ctx: WebContext, viewer: Viewer, reference: str) -> Response:
    require_writer(ctx.deps, audit=reference, viewer=viewer.id)
    rendered = current_summary(ctx.deps, audit=reference, pdf=True)
    assert rendered.pdf is not None  # asked for
    draft = "" if rendered.frozen else "-draft"
    name = f"{reference}-summary-report-v{rendered.version}{draft}.pdf"
    return Response(
        rendered.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def preview_word(ctx: WebContext, viewer: Viewer, reference: str) -> Response:
    """The report as a Word document, for the writers to edit and circulate: the frozen
    version (its hash in the file's properties), or the draft as it stands (marked so)."""
    require_writer(ctx.deps, audit=reference, viewer=viewer.id)
    made = current_summary_docx(ctx.deps, audit=reference)
    log.info("person %d downloaded the summary report of audit %s as Word", viewer.id, reference)
    draft = "" if made.frozen else "-draft"
    return word_download(made.docx, f"{reference}-summary-report-v{made.version}{draft}.docx")


def _sections(form: FormData) -> dict[str, str]:
    """The sections the form brought (a form always brings all four)."""
    return typed(form, [name for name in SECTIONS if name in form])


def save_draft(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    words = _sections(form)
    _, refused = attempt(
        lambda: reports.save_sections(ctx.deps, audit=reference, actor=viewer.id, sections=words)
    )
    if refused is not None:
        return editor_page(
            ctx, viewer, reference, refusal=Refusal(refused, typed=words), refused_by="save"
        )
    log.info("person %d saved the report draft of audit %s", viewer.id, reference)
    return _back(ctx, reference, "saved")


def send(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    """Save what is typed, then fire the step into sign-off (which freezes that version)."""
    desk = report_desk(ctx.deps, audit=reference, viewer=viewer.id)
    if _sent_already(desk, form):
        return _back(ctx, reference, "sent")  # the button pressed twice: it went the first time
    words = _sections(form)
    kept = {**desk.words.sections, **words, **typed(form, ["reason"])}
    refusal = _save_then_fire(ctx, viewer, desk, words, kept)
    if refusal is not None:
        return editor_page(ctx, viewer, reference, refusal=refusal, refused_by="submit")
    log.info("person %d sent the report of audit %s for sign-off", viewer.id, desk.reference)
    return _back(ctx, reference, "sent")


def _sent_already(desk: ReportDesk, form: FormData) -> bool:
    """The version this form was opened on is frozen and has gone for sign-off."""
    posted = str(form.get("report_version", ""))
    gone = desk.stage in (ReportStage.AWAITING_SIGN_OFF, ReportStage.SIGNED_OFF)
    return gone and posted == str(desk.words.version)


def _save_then_fire(
    ctx: WebContext, viewer: Viewer, desk: ReportDesk, words: dict[str, str], kept: dict[str, str]
) -> Refusal | None:
    if words:
        _, refused = attempt(
            lambda: reports.save_sections(
                ctx.deps, audit=desk.reference, actor=viewer.id, sections=words
            )
        )
        if refused is not None:
            return Refusal(refused, typed=kept)
    if desk.submission is None:
        return Refusal(
            f"Audit {desk.reference} is not at a stage from which its report goes for sign-off.",
            typed=kept,
        )
    try:
        audits.fire(
            ctx.deps,
            audit=desk.reference,
            trigger=desk.submission.trigger,
            actor=viewer.id,
            reason=kept["reason"] or None,
        )
    except GateBlocked as blocked:
        # A missing reason is shown at its box as well as in the engine's sentence.
        unreasoned = any(f.gate == REASON_GIVEN for f in blocked.failures)
        fields = {"reason": REASON_NEEDED} if unreasoned else {}
        return Refusal(str(blocked), fields=fields, typed=kept)
    except PermissionDenied:
        raise
    except AuditEngineError as refused:
        return Refusal(str(refused), typed=kept)
    return None


def _back(ctx: WebContext, reference: str, done: str) -> Response:
    return back_to(CycleLinks(ctx.pages.paths.prefix).page(reference, "report"), done=done)
