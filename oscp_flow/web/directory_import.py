"""Importing the directory on the coordinator pages: upload a file, read its dry run, confirm.

The same engine as ``oscp directory import``: the files are read by ``read_files``, every row
checked by ``read_directory``, the plan worked out by ``plan_import`` and stored by
``apply_plan``. Nothing is stored until the coordinator confirms, with a reason, the plan the
dry run showed; a file with any bad row lists each one by sheet, row and column, and stores
nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from oscp_flow.excel.directory_book import MAX_BYTES
from oscp_flow.web import directory_uploads as uploads
from oscp_flow.web.context import WebContext
from oscp_flow.web.coordinator_views import page
from oscp_flow.web.directory_links import DirectoryLinks
from oscp_flow.web.return_form import ErrorLink
from states.errors import DirectoryRejected, InvalidInput
from states.rules.directory import ChangeKind, Directory, ImportPlan, Part
from states.rules.directory_plan import plan_import
from states.rules.directory_rows import read_directory
from states.services import directory
from states.services.directory_write import MAX_REASON
from states.services.web_sessions import Viewer

log = logging.getLogger("oscp_flow.web.coordinator")
# The workbook's own cap, and room for the form's other fields and the multipart framing.
UPLOAD_BYTES = MAX_BYTES + 64_000
LIMIT_TEXT = f"{MAX_BYTES // (1024 * 1024)} MB"
CONFIRM_BYTES = 8_000  # a reason of up to 1,000 characters, encoded, and two ids
SHOWN = 500  # changes listed one by one; the rest are counted
STALE = (
    "The directory changed after this dry run was shown, so it was not imported and nothing "
    "was stored. Upload the file again to see what it would do now."
)


@dataclass(frozen=True)
class PartSummary:
    part: Part
    counts: dict[ChangeKind, int]
    fields: str  # "name (3), roles (1)"


def upload_page(
    ctx: WebContext, viewer: Viewer, *, problems: Sequence[str] = (), status: int = 200
) -> HTMLResponse:
    directory.snapshot(ctx.deps, viewer=viewer.id)  # coordinators only, before any form
    return _page(
        ctx,
        viewer,
        "directory_upload.html",
        "Import the directory",
        status=status,
        problems=problems,
    )


def _page(
    ctx: WebContext,
    viewer: Viewer,
    template: str,
    title: str,
    *,
    status: int,
    problems: Sequence[str],
) -> HTMLResponse:
    links = DirectoryLinks(ctx.pages.paths.prefix)
    return page(
        ctx,
        viewer,
        template,
        nav="directory",
        title=title,
        status_code=status,
        form_paths=[links.upload, links.confirm],
        dl=links,
        limit=LIMIT_TEXT,
        general=problems[0] if len(problems) == 1 else None,
        summary=[] if len(problems) < 2 else [ErrorLink("#file", p) for p in problems],
    )


def dry_run(ctx: WebContext, viewer: Viewer, given: Sequence[uploads.Given]) -> HTMLResponse:
    """Keep the files, read them, and show what importing them would do."""
    current = directory.snapshot(ctx.deps, viewer=viewer.id)
    try:
        upload = uploads.keep(ctx.home, viewer.session_id, given, now=ctx.deps.clock.now())
    except DirectoryRejected as rejected:
        return upload_page(ctx, viewer, problems=[str(p) for p in rejected.problems], status=400)
    try:
        plan = _plan(ctx, viewer, upload, current=current)
    except DirectoryRejected as rejected:
        uploads.drop(ctx.home, viewer.session_id, upload)
        log.info(
            "person %d uploaded a directory file with %d problems",
            viewer.id,
            len(rejected.problems),
        )
        return _rejected(ctx, viewer, rejected)
    log.info("person %d read the dry run of a directory upload", viewer.id)
    return plan_page(ctx, viewer, upload, plan)


def _plan(
    ctx: WebContext, viewer: Viewer, upload: str, *, current: Directory | None = None
) -> ImportPlan:
    now = current or directory.snapshot(ctx.deps, viewer=viewer.id)
    given = uploads.read(ctx.home, viewer.session_id, upload)
    return plan_import(now, read_directory(given.parts, now), given.given)


def _rejected(ctx: WebContext, viewer: Viewer, rejected: DirectoryRejected) -> HTMLResponse:
    links = DirectoryLinks(ctx.pages.paths.prefix)
    return page(
        ctx,
        viewer,
        "directory_rejected.html",
        nav="directory",
        title="The file was not imported",
        status_code=400,
        form_paths=[links.upload],
        dl=links,
        limit=LIMIT_TEXT,
        problems=rejected.problems,
    )


def plan_page(
    ctx: WebContext,
    viewer: Viewer,
    upload: str,
    plan: ImportPlan,
    *,
    errors: Mapping[str, str] | None = None,
    reason: str = "",
) -> HTMLResponse:
    links = DirectoryLinks(ctx.pages.paths.prefix)
    changes = [c for c in plan.changes if c.kind is not ChangeKind.UNCHANGED]
    errors = errors or {}
    return page(
        ctx,
        viewer,
        "directory_plan.html",
        nav="directory",
        title="Check the import before it is stored",
        status_code=400 if errors else 200,
        form_paths=[links.confirm, links.upload],
        dl=links,
        upload=upload,
        plan_id=uploads.fingerprint(plan),
        parts=[_summary(plan, part) for part in Part],
        kinds=list(ChangeKind),
        changes=changes[:SHOWN],
        more=max(0, len(changes) - SHOWN),
        errors=errors,
        reason=reason,
        max_reason=MAX_REASON,
        summary=[ErrorLink(f"#{name}", text) for name, text in errors.items()],
    )


def _summary(plan: ImportPlan, part: Part) -> PartSummary:
    fields = Counter(f for c in plan.changes if c.part is part for f in c.fields)
    return PartSummary(
        part,
        {kind: plan.count(part, kind) for kind in ChangeKind},
        ", ".join(f"{name} ({count})" for name, count in sorted(fields.items())),
    )


def confirm(ctx: WebContext, viewer: Viewer, form: FormData) -> Response:
    """Store the plan the dry run showed, if it is still the plan; else say what happened."""
    upload, shown = str(form.get("upload", "")), str(form.get("plan", ""))
    reason = str(form.get("reason", "")).strip()
    plan = _plan(ctx, viewer, upload)
    if uploads.fingerprint(plan) != shown:
        return _stale(ctx, viewer, upload)
    if not reason or len(reason) > MAX_REASON:
        why = f"Say why, in up to {MAX_REASON:,} characters: it is kept in the directory's log."
        return plan_page(ctx, viewer, upload, plan, errors={"reason": why}, reason=reason)
    try:
        directory.apply_plan(ctx.deps, plan=plan, actor=viewer.id, reason=reason)
    except InvalidInput as refused:
        if str(refused) != directory.STALE:
            raise
        return _stale(ctx, viewer, upload)
    uploads.drop(ctx.home, viewer.session_id, upload)
    stored = sum(1 for c in plan.changes if c.kind is not ChangeKind.UNCHANGED)
    log.info("person %d imported the directory: %d changes", viewer.id, stored)
    counts = "&".join(
        f"{kind.value}={sum(plan.count(p, kind) for p in Part)}" for kind in ChangeKind
    )
    return RedirectResponse(f"{DirectoryLinks(ctx.pages.paths.prefix).done}?{counts}", 303)


def _stale(ctx: WebContext, viewer: Viewer, upload: str) -> HTMLResponse:
    uploads.drop(ctx.home, viewer.session_id, upload)
    log.info("person %d confirmed a stale directory dry run; refused", viewer.id)
    return upload_page(ctx, viewer, problems=[STALE], status=409)


def done_page(ctx: WebContext, viewer: Viewer, query: Mapping[str, str]) -> HTMLResponse:
    directory.snapshot(ctx.deps, viewer=viewer.id)
    counts = {
        kind: int(query[kind.value])
        for kind in ChangeKind
        if query.get(kind.value, "").isdigit() and len(query[kind.value]) < 7
    }
    links = DirectoryLinks(ctx.pages.paths.prefix)
    return page(
        ctx,
        viewer,
        "directory_done.html",
        nav="directory",
        title="The directory is imported",
        dl=links,
        counts=counts,
    )
