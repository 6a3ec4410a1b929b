"""The directory's coordinator pages: each part with a search box, one page per agency, setting
and body, and the log; deactivating or reactivating an agency, setting or body, and a body's
members joining or leaving, each with a reason.

Everything is read and changed through ``states.services.directory`` and its siblings, the
same services as ``oscp directory`` and ``oscp body``: the same rules, the same log, and the
same refusal (403) for anyone who is not a coordinator. People keep their own pages
(``people_pages``), listed here as one part of the directory.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.coordinator_views import page
from oscp_flow.web.directory_links import DirectoryLinks
from oscp_flow.web.return_form import ErrorLink
from states.errors import AuditEngineError, NotFound, PermissionDenied
from states.rules.directory import Part, PersonEntry
from states.rules.directory_plan import entries
from states.services import bodies, directory, directory_agencies, people
from states.services.directory_write import MAX_REASON
from states.services.web_sessions import Viewer

log = logging.getLogger("oscp_flow.web.coordinator")
FORM_BYTES = 8_000  # a reason of up to 1,000 characters and an e-mail address, encoded
MAX_SEARCH = 100
ACTIVATE = {"deactivate": False, "reactivate": True}
MEMBERSHIP = ("add", "remove")
DONE = frozenset(
    {"added", "changed", "deactivated", "reactivated", "member_added", "member_removed"}
)
TITLES = {
    Part.AGENCIES: "Agencies",
    Part.SETTINGS: "Schools and settings",
    Part.PEOPLE: "People",
    Part.BODIES: "Bodies",
}


@dataclass(frozen=True)
class Counts:
    shown: int
    total: int
    active: int


def _links(ctx: WebContext) -> DirectoryLinks:
    return DirectoryLinks(ctx.pages.paths.prefix)


def overview(ctx: WebContext, viewer: Viewer) -> HTMLResponse:
    whole = directory.snapshot(ctx.deps, viewer=viewer.id)
    log.info("person %d read the directory", viewer.id)
    counts = {part: len(entries(whole, part)) for part in Part}
    return page(
        ctx,
        viewer,
        "directory.html",
        nav="directory",
        title="Directory",
        dl=_links(ctx),
        counts=counts,
        part_titles=TITLES,
        empty=not any(counts.values()),
    )


def _search(query: Mapping[str, str]) -> str:
    return query.get("search", "").strip()[:MAX_SEARCH]


def part_page(
    ctx: WebContext, viewer: Viewer, part: Part, query: Mapping[str, str]
) -> HTMLResponse:
    """One part, or the entries of it whose name, code, URN or e-mail holds the search."""
    search = _search(query)
    whole = directory.snapshot(ctx.deps, viewer=viewer.id)
    shown = entries(directory.show(ctx.deps, viewer=viewer.id, search=search, part=part), part)
    everyone = list(entries(whole, part).values())
    rows: list[object] = [shown[key] for key in sorted(shown)]
    if part is Part.PEOPLE:  # by id, for each person's own page
        rows = [p for p in people.directory(ctx.deps, viewer=viewer.id) if p.email in shown]
    log.info("person %d read the directory's %s", viewer.id, part.value)
    return page(
        ctx,
        viewer,
        "directory_part.html",
        nav="directory",
        title=TITLES[part] + (f": “{search}”" if search else ""),
        dl=_links(ctx),
        part=part,
        heading=TITLES[part],
        search=search,
        rows=rows,
        counts=Counts(len(rows), len(everyone), sum(1 for e in everyone if e.active)),
    )


def entry_page(
    ctx: WebContext,
    viewer: Viewer,
    part: Part,
    key: str,
    *,
    done: str | None = None,
    errors: Mapping[str, str] | None = None,
    kept: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """One agency, setting or body: its details, its people or members, its log, its forms."""
    whole = directory.snapshot(ctx.deps, viewer=viewer.id)
    entry = entries(whole, part).get(key)
    if entry is None or isinstance(entry, PersonEntry):
        raise NotFound(part.value.rstrip("s"), key[:40])
    members = (
        bodies.views(ctx.deps, viewer=viewer.id, code=key)[0].members if part is Part.BODIES else ()
    )
    code = entry.code
    staff = (
        [
            p
            for p in people.directory(ctx.deps, viewer=viewer.id)
            if whole.people[p.email].agency == code
        ]
        if part is not Part.BODIES
        else []
    )
    history = directory.log(
        ctx.deps,
        viewer=viewer.id,
        limit=50,
        **({"body": key} if part is Part.BODIES else {"agency": key}),
    )
    log.info("person %d read the directory's %s %s", viewer.id, part.value, key)
    errors = errors or {}
    links = _links(ctx)
    forms = [links.entry(part, key)] + ([links.members(key)] if part is Part.BODIES else [])
    return page(
        ctx,
        viewer,
        "directory_entry.html",
        nav="directory",
        title=entry.name,
        status_code=400 if errors else 200,
        form_paths=forms,
        dl=links,
        part=part,
        key=key,
        heading=TITLES[part],
        entry=entry,
        members=members,
        staff=staff,
        history=history,
        done=done if done in DONE else None,
        errors=errors,
        kept=kept or {},
        max_reason=MAX_REASON,
        summary=[ErrorLink(f"#{name}", text) for name, text in errors.items()],
    )


def _reason(form: FormData) -> tuple[str, dict[str, str]]:
    reason = str(form.get("reason", "")).strip()
    if not reason:
        return reason, {"reason": "Say why: it is kept in the directory's log."}
    if len(reason) > MAX_REASON:
        return reason, {"reason": f"Keep the reason under {MAX_REASON:,} characters."}
    return reason, {}


def set_active(ctx: WebContext, viewer: Viewer, part: Part, key: str, form: FormData) -> Response:
    """Deactivate or reactivate an agency, setting or body, with a reason."""
    chosen = str(form.get("change", ""))
    reason, errors = _reason(form)
    if chosen not in ACTIVATE:
        errors = {"change": "Choose whether to deactivate or reactivate it.", **errors}
    kept = {"change": chosen, "reason": reason}
    if errors:
        return entry_page(ctx, viewer, part, key, errors=errors, kept=kept)
    try:
        if part is Part.BODIES:
            bodies.change_body(
                ctx.deps, body=key, active=ACTIVATE[chosen], actor=viewer.id, reason=reason
            )
        else:
            directory_agencies.set_active(
                ctx.deps, agency=key, active=ACTIVATE[chosen], actor=viewer.id, reason=reason
            )
    except PermissionDenied:
        raise
    except AuditEngineError as refused:
        return entry_page(ctx, viewer, part, key, errors={"change": str(refused)}, kept=kept)
    log.info("person %d %sd %s %s", viewer.id, chosen, part.value, key)
    return RedirectResponse(f"{_links(ctx).entry(part, key)}?done={chosen}d#done", 303)


def membership(ctx: WebContext, viewer: Viewer, code: str, form: FormData) -> Response:
    """A person joins or leaves a body, with a reason."""
    chosen, email = str(form.get("member_change", "")), str(form.get("email", "")).strip()
    reason, problems = _reason(form)
    errors = {f"member_{k}": text for k, text in problems.items()}  # beside this form's field
    if chosen not in MEMBERSHIP:
        errors = {"member_change": "Choose whether to add or remove the person.", **errors}
    if not email:
        errors = {"email": "Enter the person's work e-mail address.", **errors}
    kept = {"member_change": chosen, "email": email, "reason": reason}
    if errors:
        return entry_page(ctx, viewer, Part.BODIES, code, errors=errors, kept=kept)
    act = bodies.add_member if chosen == "add" else bodies.remove_member
    try:
        act(ctx.deps, body=code, person=email, actor=viewer.id, reason=reason)
    except PermissionDenied:
        raise
    except AuditEngineError as refused:
        return entry_page(ctx, viewer, Part.BODIES, code, errors={"email": str(refused)}, kept=kept)
    log.info("person %d changed the members of body %s", viewer.id, code)
    what = "member_added" if chosen == "add" else "member_removed"
    return RedirectResponse(f"{_links(ctx).entry(Part.BODIES, code)}?done={what}#done", 303)


def log_page(ctx: WebContext, viewer: Viewer) -> HTMLResponse:
    entries = directory.log(ctx.deps, viewer=viewer.id)
    log.info("person %d read the directory's log", viewer.id)
    return page(
        ctx,
        viewer,
        "directory_log.html",
        nav="directory",
        title="The directory's log",
        dl=_links(ctx),
        entries=entries,
    )
