"""The letter link: a Section 175 setting's (or a Section 11 agency's) audit leads read their
own feedback letter, or the summary findings to all settings, on the page or as a PDF.
Nothing here changes anything, so nothing is posted."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.csrf import FormToken
from states.errors import NotFound, TokenInvalid
from states.services import letters

# The frozen letter carries its own stylesheet in a <style> block and inline SVG charts; it
# has no scripts, loads nothing, and may not be framed or submit anywhere.
LETTER_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
FORMATS = {"html", "pdf"}


def show(ctx: WebContext, token: str, form_token: FormToken) -> HTMLResponse:
    page = letters.open_letter(ctx.deps, token)
    base = ctx.pages.paths.act(token)
    return ctx.pages.render(
        "letter.html",
        title=f"{'Feedback letter' if page.kind == 'feedback_letter' else 'Summary'} "
        f"from audit {page.audit}",
        page=page,
        read=f"{base}/letter.html",
        download=f"{base}/letter.pdf" if page.has_pdf else None,
    )


def act(ctx: WebContext, token: str, form: FormData) -> HTMLResponse:
    raise TokenInvalid()  # a letter is only read


def file(ctx: WebContext, token: str, fmt: str) -> Response:
    """The letter exactly as frozen: HTML to read in the browser, or the PDF to keep."""
    if fmt not in FORMATS:
        raise NotFound("letter format", fmt[:8])
    letter = letters.letter_file(ctx.deps, token)
    if fmt == "html":
        return HTMLResponse(letter.html, headers={"Content-Security-Policy": LETTER_POLICY})
    if letter.pdf is None:
        raise NotFound("PDF of the letter", letter.name)
    disposition = f'attachment; filename="{letter.name}.pdf"'
    return Response(
        letter.pdf, media_type="application/pdf", headers={"Content-Disposition": disposition}
    )
