"""Adding an agency, setting, person or body on the coordinator pages, and changing one.

The answers go to the engine's services, the same as ``oscp directory add|change``: the rules,
the log with its reason, and the refusal of anyone but a coordinator (403, before any form is
shown) are theirs. A change sends only what differs from the directory, and a person's roles
as those granted and those taken away, so the log says exactly what changed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from oscp_flow.web import directory_forms as forms
from oscp_flow.web.context import WebContext
from oscp_flow.web.coordinator_views import Links
from oscp_flow.web.directory_links import DirectoryLinks
from states.errors import AuditEngineError, NotFound, PermissionDenied
from states.rules.directory import Directory, Part, PersonEntry
from states.rules.directory_plan import entries
from states.services import bodies, directory, directory_agencies, directory_people, people
from states.services.web_sessions import Viewer

log = logging.getLogger("oscp_flow.web.coordinator")
ADDING = {
    Part.AGENCIES: "Add an agency",
    Part.SETTINGS: "Add a school or setting",
    Part.PEOPLE: "Add a person",
    Part.BODIES: "Add a body",
}


def _links(ctx: WebContext) -> DirectoryLinks:
    return DirectoryLinks(ctx.pages.paths.prefix)


# --- adding ----------------------------------------------------------------------------------


def _adding(ctx: WebContext, part: Part) -> forms.Shown:
    links = _links(ctx)
    back = links.part(part)
    return forms.Shown(ADDING[part], links.add(part), ADDING[part], back, "Back to the list")


def add_page(ctx: WebContext, viewer: Viewer, part: Part) -> HTMLResponse:
    whole = directory.snapshot(ctx.deps, viewer=viewer.id)  # coordinators only
    fields = forms.fields_for(part, whole, adding=True)
    return forms.form_page(
        ctx, viewer, shown=_adding(ctx, part), fields=fields, answers=forms.Answers({}, ())
    )


def add(ctx: WebContext, viewer: Viewer, part: Part, form: FormData) -> Response:
    whole = directory.snapshot(ctx.deps, viewer=viewer.id)
    fields = forms.fields_for(part, whole, adding=True)
    answers = forms.read(form, fields)
    errors = forms.problems(fields, answers)
    if not errors:
        try:
            key = _add(ctx, viewer, part, answers)
        except PermissionDenied:
            raise
        except AuditEngineError as refused:
            errors = forms.beside(refused, fields)
        else:
            log.info("person %d added to the directory's %s", viewer.id, part.value)
            return RedirectResponse(_done(ctx, viewer, part, key, "added"), 303)
    return forms.form_page(
        ctx, viewer, shown=_adding(ctx, part), fields=fields, answers=answers, errors=errors
    )


def _add(ctx: WebContext, viewer: Viewer, part: Part, answers: forms.Answers) -> str:
    """The new entry's key: its code, URN or e-mail."""
    got, deps = answers.given, ctx.deps
    actor, reason = viewer.id, got["reason"]
    if part is Part.PEOPLE:
        return directory_people.add_person(
            deps,
            name=got["name"],
            email=got["email"],
            roles=answers.roles,
            agency=got["agency"] or None,
            actor=actor,
            reason=reason,
        ).email
    if part is Part.SETTINGS:
        return directory_agencies.add_setting(
            deps,
            urn=got["urn"],
            code=got["code"],
            name=got["name"],
            kind=got["kind"],
            phase=got["phase"],
            actor=actor,
            reason=reason,
        ).urn
    add_one = directory_agencies.add_agency if part is Part.AGENCIES else bodies.add_body
    return add_one(
        deps, code=got["code"], name=got["name"], kind=got["kind"], actor=actor, reason=reason
    ).code


def _done(ctx: WebContext, viewer: Viewer, part: Part, key: str, what: str) -> str:
    if part is not Part.PEOPLE:
        return f"{_links(ctx).entry(part, key)}?done={what}#done"
    found = next(p.id for p in people.directory(ctx.deps, viewer=viewer.id) if p.email == key)
    return f"{Links(ctx.pages.paths.prefix).person(found)}?done={what}#done"


# --- changing --------------------------------------------------------------------------------


def _current(whole: Directory, part: Part, key: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """The entry's values as the form asks for them, and a person's roles."""
    entry = entries(whole, part).get(key)
    if entry is None:
        raise NotFound(forms.NOUNS[part], key[:40])
    if isinstance(entry, PersonEntry):
        return {"name": entry.name, "agency": entry.agency or ""}, tuple(sorted(entry.roles))
    given = {"name": entry.name, "kind": entry.kind.value}
    phase = getattr(entry, "phase", None)
    return given | ({"phase": phase.value} if phase is not None else {}), ()


def _changing(
    ctx: WebContext, part: Part, key: str, name: str, person_id: int | None
) -> forms.Shown:
    links = _links(ctx)
    if person_id is None:
        action, back = links.change(part, key), links.entry(part, key)
    else:
        action = links.person_change(person_id)
        back = Links(ctx.pages.paths.prefix).person(person_id)
    return forms.Shown(f"Change {name}", action, "Save the change", back, f"Back to {name}")


def _person_key(ctx: WebContext, viewer: Viewer, person_id: int | None, key: str) -> str:
    if person_id is None:
        return key
    return people.person_view(ctx.deps, viewer=viewer.id, person=person_id)[0].email


def change_page(
    ctx: WebContext, viewer: Viewer, part: Part, key: str, person_id: int | None = None
) -> HTMLResponse:
    """``key`` is the entry's code or URN; a person is found by ``person_id``."""
    whole = directory.snapshot(ctx.deps, viewer=viewer.id)
    key = _person_key(ctx, viewer, person_id, key)
    now, roles = _current(whole, part, key)
    fields = forms.fields_for(part, whole, adding=False, agency=now.get("agency"))
    shown = _changing(ctx, part, key, now["name"], person_id)
    return forms.form_page(
        ctx, viewer, shown=shown, fields=fields, answers=forms.Answers(now | {"reason": ""}, roles)
    )


def change(
    ctx: WebContext,
    viewer: Viewer,
    part: Part,
    key: str,
    form: FormData,
    *,
    person_id: int | None = None,
) -> Response:
    whole = directory.snapshot(ctx.deps, viewer=viewer.id)
    key = _person_key(ctx, viewer, person_id, key)
    now, roles = _current(whole, part, key)
    fields = forms.fields_for(part, whole, adding=False, agency=now.get("agency"))
    answers = forms.read(form, fields)
    errors = forms.problems(fields, answers)
    differs = {k: v for k, v in answers.given.items() if k != "reason" and now.get(k) != v}
    if not errors and not differs and set(answers.roles) == set(roles):
        errors = {fields[0].name: forms.NOTHING}
    if not errors:
        try:
            _change(ctx, viewer, part, key, answers=answers, differs=differs, held=roles)
        except PermissionDenied:
            raise
        except AuditEngineError as refused:
            errors = forms.beside(refused, fields)
        else:
            log.info("person %d changed an entry of the directory's %s", viewer.id, part.value)
            return RedirectResponse(_done(ctx, viewer, part, key, "changed"), 303)
    shown = _changing(ctx, part, key, now["name"], person_id)
    return forms.form_page(ctx, viewer, shown=shown, fields=fields, answers=answers, errors=errors)


def _change(
    ctx: WebContext,
    viewer: Viewer,
    part: Part,
    key: str,
    *,
    answers: forms.Answers,
    differs: Mapping[str, str],
    held: tuple[str, ...],
) -> None:
    deps, actor, reason = ctx.deps, viewer.id, answers.given["reason"]
    if part is Part.PEOPLE:
        agency = differs.get("agency", directory_people.KEEP)
        directory_people.change_person(
            deps,
            person=key,
            name=differs.get("name"),
            agency=agency or None,
            grant=sorted(set(answers.roles) - set(held)),
            remove=sorted(set(held) - set(answers.roles)),
            actor=actor,
            reason=reason,
        )
    elif part is Part.BODIES:
        bodies.change_body(
            deps,
            body=key,
            name=differs.get("name"),
            kind=differs.get("kind"),
            actor=actor,
            reason=reason,
        )
    else:
        directory_agencies.change_agency(
            deps,
            agency=key,
            name=differs.get("name"),
            kind=differs.get("kind"),
            phase=differs.get("phase"),
            actor=actor,
            reason=reason,
        )
