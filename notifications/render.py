"""Rendering: a message kind and its context of safe references become an e-mail's subject,
plain text and HTML. Pure — the only I/O is reading the packaged templates — so the relay can
render at send time and tests can pin the wording.

Nothing here compiles a person's text as a template: what people type (a theme, a report's
narrative) only ever arrives as a value, escaped where it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from types import MappingProxyType
from urllib.parse import urlsplit

from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    UndefinedError,
    pass_eval_context,
    select_autoescape,
)
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from notifications.wording import possessive
from states.clock import LONDON
from states.persistence.notices import CONTEXT_KEYS, KINDS
from states.rules.quarters import MONTH_NAMES

_ABOUT_AN_AUDIT = frozenset({"audit", "theme", "link_path"})
# What each kind cannot be written without. Other allowed keys (audit_title, state_title,
# agency, deadline_at where not listed) are shown when present.
REQUIRED_KEYS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "audit_started": _ABOUT_AN_AUDIT | {"state_title"},
        "return_requested": _ABOUT_AN_AUDIT | {"deadline_at"},
        "reminder": _ABOUT_AN_AUDIT | {"deadline_at", "step"},
        "overdue": _ABOUT_AN_AUDIT | {"deadline_at", "step"},
        "escalation": _ABOUT_AN_AUDIT | {"deadline_at", "step", "agency"},
        "sign_off_requested": _ABOUT_AN_AUDIT | {"deadline_at"},
        "sign_off_decided": _ABOUT_AN_AUDIT | {"decision"},
        "sign_off_closed": _ABOUT_AN_AUDIT | {"decision"},
        "further_assurance_requested": _ABOUT_AN_AUDIT,
        "immediate_risk_raised": _ABOUT_AN_AUDIT | {"agency", "deadline_at"},
        "assurance_received": _ABOUT_AN_AUDIT | {"agency"},
        "action_assigned": _ABOUT_AN_AUDIT | {"agency", "deadline_at", "state_title"},
        "action_returned": _ABOUT_AN_AUDIT | {"agency", "deadline_at", "state_title"},
        "action_evidence_submitted": _ABOUT_AN_AUDIT | {"agency", "state_title"},
        "feedback_letter_ready": _ABOUT_AN_AUDIT | {"agency"},
        "settings_summary_ready": _ABOUT_AN_AUDIT | {"agency"},
        "exception_raised": _ABOUT_AN_AUDIT | {"state_title"},
        "returns_unasked": _ABOUT_AN_AUDIT | {"agencies"},
        "response_requested": _ABOUT_AN_AUDIT | {"deadline_at"},
        "audit_withdrawn": _ABOUT_AN_AUDIT | {"state_title"},
        # The discussion meeting; place and online_link are shown when present (one at least).
        "meeting_invitation": _ABOUT_AN_AUDIT | {"starts_at", "ends_at"},
        "meeting_updated": _ABOUT_AN_AUDIT | {"starts_at", "ends_at"},
        "meeting_cancelled": _ABOUT_AN_AUDIT | {"starts_at"},
        # A deadline's calendar entry moved or taken back; agency and action where it has them.
        "deadline_moved": _ABOUT_AN_AUDIT | {"deadline_at", "due", "calendar_entry"},
        "deadline_cancelled": _ABOUT_AN_AUDIT | {"deadline_at", "due", "calendar_entry"},
        # About the reader's own account: no audit; the link is their password page.
        "sign_in_failures": frozenset({"failures", "addresses", "since", "link_path"}),
    }
)

# Spelled out rather than strftime's %A/%B, which follow the process locale.
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = MONTH_NAMES
_STEP = re.compile(r"(before|overdue):([1-9][0-9]{0,2})")
_DECISIONS = {"approve": True, "approved": True, "refuse": False, "refused": False}
# Our own paths only: a leading slash keeps the host the configured one ("@evil.example" or
# ".evil.example" appended to the base URL would change it), and no spaces or quotes.
_LINK_PATH = re.compile(r"/[A-Za-z0-9\-._~/%?=&+]*")


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


def render_message(
    kind: str,
    context: Mapping[str, str],
    *,
    recipient_name: str,
    base_url: str,
    sender_name: str = "OSCP Learning Hub",
    no_link: str | None = None,
) -> RenderedMessage:
    """Render one outbox message for one person. With ``no_link`` (why the reader's own link
    could not be made) the message says so and carries no link at all, rather than one to a
    page the reader cannot open.

    Raises ValueError for an unknown kind, a context key outside ``states.persistence.notices.
    CONTEXT_KEYS``, a missing required key, a malformed date, step or decision, or a base URL
    that is not an absolute http(s) address. Error messages name keys, never values, so
    nothing a context carries ends up in a log through them.
    """
    values = _checked_context(kind, context)
    variables: dict[str, str] = {
        **values,
        "recipient_name": _one_line(recipient_name),
        "sender_name": _one_line(sender_name),
        "link": _link(base_url, values["link_path"]),
    }
    if no_link is not None:
        variables["no_link"] = _one_line(no_link)
    environment = _email_environment()
    subject = _one_line(_render(environment, f"email/{kind}.subject.txt", variables))
    variables["subject"] = subject
    return RenderedMessage(
        subject=subject,
        text=_render(environment, f"email/{kind}.txt", variables),
        html=_render(environment, f"email/{kind}.html", variables),
    )


def london_date(instant: str) -> str:
    """An ISO 8601 instant as the London calendar day it falls on: "Friday 12 December 2025"."""
    try:
        moment = datetime.fromisoformat(instant)
    except ValueError as error:
        raise ValueError("deadline_at is not an ISO 8601 date and time") from error
    if moment.tzinfo is None:
        # A naive time could be UTC or London; guessing would move deadlines near midnight.
        raise ValueError("deadline_at must carry its UTC offset")
    return london_day(moment)


def london_time(instant: str) -> str:
    """An ISO 8601 instant as London date and time: "Monday 2 March 2026 at 09:30"."""
    try:
        moment = datetime.fromisoformat(instant)
    except ValueError as error:
        raise ValueError("since is not an ISO 8601 date and time") from error
    if moment.tzinfo is None:
        raise ValueError("since must carry its UTC offset")
    return f"{london_day(moment)} at {moment.astimezone(LONDON):%H:%M}"


def count_of(number: str, one: str, many: str) -> str:
    """ "1 network address", "3 network addresses": a count kept as text, in words."""
    if not number.isdigit():
        raise ValueError("a count must be a whole number")
    return f"{int(number)} {one if int(number) == 1 else many}"


def london_day(instant: datetime) -> str:
    """ "Friday 13 March 2026": the London calendar day of an aware instant, in any locale."""
    day = instant.astimezone(LONDON)
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def step_words(step: str) -> str:
    """A reminder-ladder rung in words: "before:5", "on_day", "overdue:2"."""
    if step == "on_day":
        return "due today"
    match = _STEP.fullmatch(step)
    if match is None:
        raise ValueError("step must be 'before:N', 'on_day' or 'overdue:N'")
    days = int(match[2])
    amount = f"{days} working day{'' if days == 1 else 's'}"
    return f"due in {amount}" if match[1] == "before" else f"{amount} overdue"


def is_approval(decision: str) -> bool:
    try:
        return _DECISIONS[decision]
    except KeyError:
        raise ValueError(f"decision must be one of {sorted(_DECISIONS)}") from None


def _checked_context(kind: str, context: Mapping[str, str]) -> dict[str, str]:
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}; known kinds are {', '.join(KINDS)}")
    extra = set(context) - CONTEXT_KEYS
    if extra:
        raise ValueError(f"a {kind} message may not carry {sorted(extra)}")
    missing = REQUIRED_KEYS[kind] - set(context)
    if missing:
        raise ValueError(f"a {kind} message needs {sorted(missing)} in its context")
    not_text = sorted(key for key, value in context.items() if not isinstance(value, str))
    if not_text:
        raise ValueError(f"context values must be text; {not_text} are not")
    return {key: _one_line(value) for key, value in context.items()}


def _one_line(value: str) -> str:
    # Context values are short references, so a line break in one is never meant: folding
    # every kind of line break and run of spaces keeps headers and body layout intact.
    return " ".join(value.split())


def _link(base_url: str, link_path: str) -> str:
    # The configured base URL, never one taken from a request's Host header, so a forged
    # request cannot make the partnership send links to someone else's site.
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            "base_url must be an absolute http(s) address, e.g. https://oscp.example.org"
        )
    if not _LINK_PATH.fullmatch(link_path):
        raise ValueError("link_path must be a path on the partnership's site, starting with '/'")
    return base_url.rstrip("/") + link_path


def _render(environment: Environment, name: str, variables: Mapping[str, str]) -> str:
    try:
        return environment.get_template(name).render(variables)
    except UndefinedError as error:
        # Only a template that uses an optional key without checking for it gets here.
        raise ValueError(
            f"template {name} needs a value its context lacks: {error.message}"
        ) from error


def template_environment() -> Environment:
    """A new environment over ``notifications/templates``: strict about missing values,
    autoescaping HTML. Each user adds its own filters; each builds it on first use, not at
    import, so importing the package reads no files."""
    return Environment(
        loader=PackageLoader("notifications", "templates"),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


@cache
def _email_environment() -> Environment:
    environment = template_environment()
    environment.filters.update(
        london_date=london_date,
        london_time=london_time,
        count_of=count_of,
        step_words=step_words,
        is_approval=is_approval,
        possessive=_possessive,
    )
    return environment


@pass_eval_context
def _possessive(context: EvalContext, name: str) -> str:
    """The name's possessive; in HTML the name is escaped and the apostrophe typographic, as
    the pages' own words have it."""
    if context.autoescape:
        return Markup(possessive(str(escape(name)), "\N{RIGHT SINGLE QUOTATION MARK}"))  # noqa: S704
    return possessive(name)
