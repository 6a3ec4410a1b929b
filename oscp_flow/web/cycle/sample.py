"""The case sample of an audit, for its chair and the coordinators: the cases sampled, and a
cases file uploaded, checked and then confirmed.

The file is the one ``oscp audit sample`` reads (``oscp_flow.case_file`` decodes it as Excel
saves it; ``states.rules.case_list`` checks every row). The check page shows each case with
its line, agencies and whether it is in the audit's window, and stores nothing; its confirm
form carries the file's text back, and confirming reads and checks all of it again before
``sampling.select_sample`` stores it (which refuses, among other things, a case already in
the sample: a confirmation sent twice stores the cases once). No file is kept on the server.
The file's own name is never shown: it could hold anything.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.case_file import UTF8, decode, numbered_rows
from oscp_flow.web.context import WebContext
from oscp_flow.web.csrf import FormTooLarge
from oscp_flow.web.cycle.common import UPLOAD_BYTES, Refusal, attempt, back_to, cycle_page
from oscp_flow.web.cycle.links import CycleLinks
from states.errors import CaseListRejected, InvalidInput, RowProblem
from states.rules.case_list import COLUMNS, CaseCandidate, read_lines
from states.services import sample_view, sampling
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes imports each part's module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
READING = ["GET", "HEAD"]
FILE = "The file"  # how a refusal names the file: never the name the browser sent
LIMIT = f"{UPLOAD_BYTES // 1_000_000} MB"
# The file's text comes back base64-encoded: a third larger, with room for the token.
CONFIRM_BYTES = UPLOAD_BYTES * 3 // 2 + 8_000
CHOOSE = "Choose the cases file (CSV) to upload."
TOO_BIG = f"The file is larger than {LIMIT}; split the cases into smaller files."
UNREADABLE = "The checked cases could not be read back; upload the file again."
DONE = {"stored", "removed", "replaced"}


def add_routes(router: APIRouter, area: Area) -> None:
    pages = SamplePages(area)
    router.add_api_route("/audits/{reference}/sample", pages.show, methods=READING)
    router.add_api_route("/audits/{reference}/do/sample-check", pages.check, methods=["POST"])
    router.add_api_route("/audits/{reference}/do/sample-confirm", pages.confirm, methods=["POST"])


class SamplePages:
    def __init__(self, area: Area) -> None:
        self.area = area

    async def show(self, request: Request, reference: str) -> Response:
        done = request.query_params.get("done", "")
        count = request.query_params.get("count", "")
        counted = int(count) if count.isdigit() and len(count) < 7 else 0
        shown = (done if done in DONE else "", counted)
        ctx = self.area.ctx
        return await self.area.show(request, lambda v: sample_page(ctx, v, reference, done=shown))

    async def check(self, request: Request, reference: str) -> Response:
        ctx = self.area.ctx
        try:
            return await self.area.posted(
                request,
                lambda v, form: checked(ctx, v, reference, form),
                max_bytes=UPLOAD_BYTES,
            )
        except FormTooLarge:
            refused = Refusal(fields={"file": TOO_BIG})
            return await self.area.show(
                request, lambda v: sample_page(ctx, v, reference, refusal=refused, status=413)
            )

    async def confirm(self, request: Request, reference: str) -> Response:
        ctx = self.area.ctx
        return await self.area.posted(
            request, lambda v, form: confirmed(ctx, v, reference, form), max_bytes=CONFIRM_BYTES
        )


def sample_page(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    *,
    done: tuple[str, int] = ("", 0),
    refusal: Refusal | None = None,
    problems: Sequence[RowProblem] = (),
    status: int | None = None,
) -> Response:
    sample = sample_view.sample_of(ctx.deps, audit=reference, as_person=viewer.id)
    log.info("person %d read the sample of audit %s", viewer.id, sample.reference)
    cycle = _links(ctx)
    response = cycle_page(
        ctx,
        viewer,
        "cycle_sample.html",
        title=f"The sample of audit {sample.reference}",
        reference=sample.reference,
        form_posts=[cycle.post(sample.reference, "sample-check")],
        refusal=refusal,
        error=refusal is not None,
        sample=sample,
        done=done,
        problems=problems,
        columns=COLUMNS,
        limit=LIMIT,
    )
    if status is not None:
        response.status_code = status
    return response


def checked(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    """Read the uploaded file and show what confirming it would store; nothing is stored."""
    upload = form.get("file")
    data = upload.file.read(UPLOAD_BYTES + 1) if isinstance(upload, UploadFile) else b""
    if not data:
        return sample_page(ctx, viewer, reference, refusal=Refusal(fields={"file": CHOOSE}))
    try:
        text, encoding, _ = decode(FILE, data)
        lines = read_lines(FILE, numbered_rows(FILE, text))
    except CaseListRejected as rejected:
        log.info(
            "person %d uploaded a cases file with %d problems", viewer.id, len(rejected.problems)
        )
        return _rejected(ctx, viewer, reference, rejected.problems)
    except InvalidInput as unreadable:
        return sample_page(
            ctx, viewer, reference, refusal=Refusal(fields={"file": str(unreadable)})
        )
    log.info("person %d checked a cases file of %d cases", viewer.id, len(lines))
    return check_page(ctx, viewer, reference, lines, text, encoding=encoding)


def _rejected(
    ctx: WebContext, viewer: Viewer, reference: str, problems: Sequence[RowProblem]
) -> Response:
    count = len(problems)
    said = "1 problem" if count == 1 else f"{count} problems"
    message = (
        f"The file has {said}, listed below; nothing was stored. Correct it and upload it again."
    )
    return sample_page(
        ctx, viewer, reference, refusal=Refusal(fields={"file": message}), problems=problems
    )


def check_page(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    lines: Sequence[tuple[int, CaseCandidate]],
    text: str,
    *,
    encoding: str = UTF8,
    refusal: Refusal | None = None,
) -> Response:
    offered = [case for _, case in lines]
    check = sample_view.check_sample(
        ctx.deps, audit=reference, as_person=viewer.id, offered=offered
    )
    cycle = _links(ctx)
    ref = check.sample.reference
    response = cycle_page(
        ctx,
        viewer,
        "cycle_sample_check.html",
        title=f"Check the cases for audit {ref}",
        reference=ref,
        form_posts=[cycle.post(ref, "sample-confirm"), cycle.post(ref, "sample-check")],
        refusal=refusal,
        error=refusal is not None or check.problems > 0,
        check=check,
        rows=list(zip((line for line, _ in lines), check.offered, strict=True)),
        payload=base64.b64encode(text.encode()).decode(),
        not_utf8=encoding != UTF8,
        encoding=encoding,
        columns=COLUMNS,
        limit=LIMIT,
    )
    if check.problems:  # shown as the refusal it would be, before anything is tried
        response.status_code = 400
    return response


def confirmed(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    """Store the checked cases, read and checked again from the text the check page carried."""
    try:
        text = base64.b64decode(str(form.get("cases", "")), validate=True).decode()
        lines = read_lines(FILE, numbered_rows(FILE, text))
    except (binascii.Error, UnicodeDecodeError, InvalidInput):
        return sample_page(ctx, viewer, reference, refusal=Refusal(fields={"file": UNREADABLE}))
    cases = [case for _, case in lines]
    draw, refused = attempt(
        lambda: sampling.select_sample(
            ctx.deps, audit=reference, actor=viewer.id, candidates=cases, method="list"
        )
    )
    if draw is None:
        return check_page(ctx, viewer, reference, lines, text, refusal=Refusal(refused))
    log.info("person %d sampled %d cases on audit %s", viewer.id, len(draw.chosen), reference)
    return back_to(
        _links(ctx).page(reference, "sample"), done="stored", count=str(len(draw.chosen))
    )


def _links(ctx: WebContext) -> CycleLinks:
    return CycleLinks(ctx.pages.paths.prefix)
