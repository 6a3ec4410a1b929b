"""The directory's add and change forms on the coordinator pages: their questions, reading
and checking what was typed, and the page that asks (``directory_edits`` sends the answers
to the engine).

Each form calls the engine's own services (``directory_agencies``, ``directory_people``,
``bodies``), the ones ``oscp directory add|change`` calls, so the rules, the log and the
refusal of anyone but a coordinator (403) are the engine's. Each typed value is read first by
the engine's value rules (``directory_values``) so that its message sits beside its own field;
a refusal the engine can only give once it has read the directory (a code or e-mail already
taken, a deactivated agency) is put beside the field it is about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from oscp_flow.web.context import WebContext
from oscp_flow.web.coordinator_views import page
from oscp_flow.web.return_form import ErrorLink
from states.definitions.roles import GIVEN_ROLES, ROLES
from states.errors import AuditEngineError, NotFound
from states.rules import directory_values as values
from states.rules.directory import (
    SETTING_KINDS,
    AgencyEntry,
    AgencyKind,
    BodyKind,
    Directory,
    Part,
    Phase,
    SettingEntry,
)
from states.services.directory_write import MAX_REASON
from states.services.web_sessions import Viewer

FORM_BYTES = 8_000  # a reason of up to 1,000 characters, a name, an e-mail and a few roles
ROLES_FIELD = "roles"
NOUNS = {
    Part.AGENCIES: "agency",
    Part.SETTINGS: "setting",
    Part.PEOPLE: "person",
    Part.BODIES: "body",
}
ASSIGNABLE_ROLES = tuple(role for role in GIVEN_ROLES if role != "system")  # the engine's own
NOTHING = "Nothing is different from what the directory holds: change something, or go back."
# Where an engine refusal belongs, by the first of these words it uses.
BESIDE = (
    ("code", "code"),
    ("URN", "urn"),
    ("e-mail", "email"),
    ("role", ROLES_FIELD),
    ("agency", "agency"),
    ("deactivated", "agency"),
    ("kind", "kind"),
    ("phase", "phase"),
)


class Widget(StrEnum):
    TEXT = "text"
    EMAIL = "email"
    SELECT = "select"
    CHECKBOXES = "checkboxes"
    TEXTAREA = "textarea"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    widget: Widget = Widget.TEXT
    hint: str = ""
    choices: tuple[Choice, ...] = ()
    optional: bool = False
    check: Callable[[str], object] | None = field(default=None, compare=False)


def _words(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _choices(vocabulary: Sequence[str]) -> tuple[Choice, ...]:
    return tuple(Choice(v, _words(v)) for v in vocabulary)


AGENCY_KINDS = _choices([k.value for k in AgencyKind if k not in SETTING_KINDS])
SETTING_KIND_CHOICES = _choices([k.value for k in AgencyKind if k in SETTING_KINDS])
CODE = Field(
    "code",
    "Code",
    hint="A short name the directory and its files know it by: letters, digits, - and _.",
    check=values.code,
)
URN = Field("urn", "URN", hint="Its 6 or 7 digit DfE (or Ofsted) number.", check=values.urn)
EMAIL = Field("email", "Work e-mail address", Widget.EMAIL, check=values.email)
PHASE = Field("phase", "Phase", Widget.SELECT, choices=_choices([p.value for p in Phase]))
ROLE_BOXES = Field(
    ROLES_FIELD,
    "Roles",
    Widget.CHECKBOXES,
    hint="Taking a role away withdraws the unused links only it allowed.",
    choices=tuple(Choice(r, f"{_words(r)}: {ROLES[r]}") for r in ASSIGNABLE_ROLES),
    optional=True,
)
REASON = Field(
    "reason",
    "Reason",
    Widget.TEXTAREA,
    hint="Kept in the directory's log. Do not name a child.",
)


def _name(part: Part) -> Field:
    return Field("name", "Name", check=partial(values.name, what=f"{NOUNS[part]}'s name"))


def _kind(part: Part) -> Field:
    kinds = {
        Part.AGENCIES: AGENCY_KINDS,
        Part.SETTINGS: SETTING_KIND_CHOICES,
        Part.BODIES: _choices([k.value for k in BodyKind]),
    }
    return Field("kind", "Kind", Widget.SELECT, choices=kinds[part])


def _agency(whole: Directory, current: str | None) -> Field:
    agencies: list[AgencyEntry | SettingEntry] = [
        *whole.agencies.values(),
        *whole.settings.values(),
    ]
    shown = sorted((a for a in agencies if a.active or a.code == current), key=lambda a: a.name)
    return Field(
        "agency",
        "Agency or setting",
        Widget.SELECT,
        hint="Leave it unchosen for the partnership's own staff.",
        choices=tuple(Choice(a.code, f"{a.name} ({a.code})") for a in shown),
        optional=True,
    )


def fields_for(
    part: Part, whole: Directory, *, adding: bool, agency: str | None = None
) -> list[Field]:
    """The form's questions, in order; a change form leaves the keys (code, URN, e-mail)."""
    if part is Part.PEOPLE:
        asked = [_name(part), _agency(whole, agency), ROLE_BOXES]
        return ([EMAIL] if adding else []) + asked + [REASON]
    keys = {Part.SETTINGS: [URN, CODE]}.get(part, [CODE]) if adding else []
    phase = [PHASE] if part is Part.SETTINGS else []
    return [*keys, _name(part), _kind(part), *phase, REASON]


# --- reading the form ------------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    given: dict[str, str]
    roles: tuple[str, ...]


def read(form: FormData, fields: Sequence[Field]) -> Answers:
    given = {
        f.name: str(form.get(f.name, "")).strip() for f in fields if f.widget != Widget.CHECKBOXES
    }
    return Answers(given, tuple(str(r) for r in form.getlist(ROLES_FIELD)))


def problems(fields: Sequence[Field], answers: Answers) -> dict[str, str]:
    """Each field's own problem, by the engine's value rules, in the form's order."""
    errors: dict[str, str] = {}
    for f in fields:
        problem = _problem(f, answers)
        if problem:
            errors[f.name] = problem
    return errors


def _problem(f: Field, answers: Answers) -> str | None:
    if f.widget == Widget.CHECKBOXES:
        known = {c.value for c in f.choices}
        return None if set(answers.roles) <= known else "Choose only the roles listed."
    value = answers.given[f.name]
    if f is REASON:
        if not value:
            return "Say why: it is kept in the directory's log."
        return (
            f"Keep the reason under {MAX_REASON:,} characters." if len(value) > MAX_REASON else None
        )
    if f.widget == Widget.SELECT:
        if not value:
            return None if f.optional else f"Choose the {f.label.lower()}."
        return (
            None
            if value in {c.value for c in f.choices}
            else f"Choose one of the {f.label.lower()}s listed."
        )
    try:
        if f.check is not None:
            f.check(value)
    except AuditEngineError as refused:
        return str(refused)
    return None


def beside(refused: AuditEngineError, fields: Sequence[Field]) -> dict[str, str]:
    """The engine's refusal, beside the field it is about (else the first)."""
    names = [f.name for f in fields]
    if isinstance(refused, NotFound) and refused.what in names:
        return {refused.what: str(refused)}
    message = str(refused)
    for word, name in BESIDE:
        if word in message and name in names:
            return {name: message}
    return {names[0]: message}


# --- the pages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """What the form page shows besides its questions."""

    heading: str
    action: str
    button: str
    back: str
    back_text: str


def form_page(
    ctx: WebContext,
    viewer: Viewer,
    *,
    shown: Shown,
    fields: Sequence[Field],
    answers: Answers,
    errors: Mapping[str, str] | None = None,
) -> HTMLResponse:
    errors = errors or {}
    return page(
        ctx,
        viewer,
        "directory_form.html",
        nav="directory",
        title=shown.heading,
        status_code=400 if errors else 200,
        form_paths=[shown.action],
        shown=shown,
        fields=fields,
        given=answers.given,
        chosen_roles=answers.roles,
        errors=errors,
        max_reason=MAX_REASON,
        summary=[ErrorLink(f"#{name}", text) for name, text in errors.items()],
    )
