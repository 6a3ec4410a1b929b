"""The coordinator's page for one person: their roles, and removing a role or the person.

``/people`` lists everyone, as the directory's People part (``directory_pages``);
``/people/ID`` shows one person, what they still owe, and one form: take away one of their
roles, or remove them, with a reason. The engine decides who may (coordinators only: anyone
else gets 403) and withdraws the links and sessions; the page asks, and says what was done.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.coordinator_views import Links, page
from oscp_flow.web.directory_links import DirectoryLinks
from oscp_flow.web.return_form import ErrorLink
from states.errors import AuditEngineError, PermissionDenied
from states.services import people
from states.services.people import MAX_REASON
from states.services.web_sessions import Viewer

log = logging.getLogger("oscp_flow.web.coordinator")
REMOVE = "remove"  # the form's choice to remove the person; "role:NAME" takes one role away
ROLE = "role:"
FORM_BYTES = 8_000  # a reason of up to 1,000 characters, encoded


@dataclass(frozen=True)
class Done:
    """What the last change did, from the address the form sent the browser back to."""

    what: str  # "deactivated" or "role_removed"; "added" or "changed" by the directory's forms
    links: int
    sessions: int


def person_page(
    ctx: WebContext,
    viewer: Viewer,
    person_id: int,
    *,
    done: Done | None = None,
    errors: Mapping[str, str] | None = None,
    kept: Mapping[str, str] | None = None,
) -> HTMLResponse:
    shown, duties = people.person_view(ctx.deps, viewer=viewer.id, person=person_id)
    errors = errors or {}
    return page(
        ctx,
        viewer,
        "person.html",
        nav="people",
        title=f"{shown.name}: roles and links",
        status_code=400 if errors else 200,
        form_paths=[Links(ctx.pages.paths.prefix).person(person_id)],
        person=shown,
        change_link=DirectoryLinks(ctx.pages.paths.prefix).person_change(person_id),
        duties=duties,
        done=done,
        errors=errors,
        kept=kept or {"change": "", "reason": ""},
        max_reason=MAX_REASON,
        summary=[ErrorLink(f"#{name}", text) for name, text in errors.items()],
    )


def change(ctx: WebContext, viewer: Viewer, person_id: int, form: FormData) -> Response:
    """Take a role away or remove the person; back to their page saying what was done."""
    kept = {"change": str(form.get("change", "")), "reason": str(form.get("reason", "")).strip()}
    errors = _problems(kept["change"], kept["reason"])
    if not errors:
        try:
            removed = _apply(ctx, viewer, person_id, kept["change"], kept["reason"])
        except PermissionDenied:
            raise
        except AuditEngineError as refused:
            errors = {"change": str(refused)}
        else:
            what = "deactivated" if kept["change"] == REMOVE else "role_removed"
            log.info("person %d %s person %d", viewer.id, what, person_id)
            target = Links(ctx.pages.paths.prefix).person(person_id)
            query = f"done={what}&links={removed.links_revoked}&sessions={removed.sessions_ended}"
            return RedirectResponse(f"{target}?{query}#done", status_code=303)
    return person_page(ctx, viewer, person_id, errors=errors, kept=kept)


def _apply(
    ctx: WebContext, viewer: Viewer, person_id: int, chosen: str, reason: str
) -> people.Removed:
    if chosen == REMOVE:
        return people.deactivate_person(ctx.deps, person=person_id, actor=viewer.id, reason=reason)
    return people.remove_role(
        ctx.deps,
        person=person_id,
        role=chosen.removeprefix(ROLE),
        actor=viewer.id,
        reason=reason,
    )


def _problems(chosen: str, reason: str) -> dict[str, str]:
    """Checked here as well as in the engine, so the message sits beside its field."""
    errors = {}
    if chosen != REMOVE and not chosen.startswith(ROLE):
        errors["change"] = "Choose a role to take away, or to remove the person."
    if not reason:
        errors["reason"] = "Say why: it is kept in the directory's record of changes."
    elif len(reason) > MAX_REASON:
        errors["reason"] = f"Keep the reason under {MAX_REASON:,} characters."
    return errors


def done_from(query: Mapping[str, str]) -> Done | None:
    """The change the address reports, if it reports one sensibly (short whole numbers)."""
    what, links, sessions = (query.get(key, "") for key in ("done", "links", "sessions"))
    if what in ("added", "changed"):  # by the directory's forms (``directory_edits``)
        return Done(what, 0, 0)
    if what not in ("deactivated", "role_removed"):
        return None
    if not all(n.isdigit() and len(n) < 6 for n in (links, sessions)):
        return None
    return Done(what, int(links), int(sessions))
