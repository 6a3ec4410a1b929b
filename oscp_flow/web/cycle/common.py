"""What every page of the audit cycle shares: the page frame, trying an engine call so its
refusal can be shown beside the form, and reading what was typed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse

from oscp_flow.web.context import WebContext
from oscp_flow.web.coordinator_views import page
from oscp_flow.web.cycle.links import CycleLinks
from oscp_flow.web.return_form import ErrorLink
from states.errors import AuditEngineError, PermissionDenied
from states.services.web_sessions import Viewer

T = TypeVar("T")
# A cycle form: a few fields of up to 4,000 characters each, or a report section of 20,000.
FORM_BYTES = 200_000
# The cases CSV a sample is uploaded as (a thousand-case MACE is about 60 kB).
UPLOAD_BYTES = 2_000_000


@dataclass(frozen=True)
class Refusal:
    """A form sent back: the engine's sentence (or the page's own check) for the whole form,
    messages per field, and what was typed, so nothing is lost."""

    message: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> list[ErrorLink]:
        """The error summary's links: each field's message, then the form's own."""
        return [ErrorLink(f"#{name}", text) for name, text in self.fields.items()]


def attempt(call: Callable[[], T]) -> tuple[T | None, str | None]:
    """The call's result, or the engine's one-sentence refusal. A refusal for lack of a role
    is not caught: it is a 403 page, not something retyping would change."""
    try:
        return call(), None
    except PermissionDenied:
        raise
    except AuditEngineError as refused:
        return None, str(refused)


def typed(form: FormData, names: Iterable[str]) -> dict[str, str]:
    """What was typed in each named field, trimmed; missing fields are empty."""
    return {name: str(form.get(name, "")).strip() for name in names}


def cycle_page(
    ctx: WebContext,
    viewer: Viewer,
    template: str,
    *,
    title: str,
    reference: str | None = None,
    form_posts: Sequence[str] = (),
    refusal: Refusal | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page of the cycle: the coordinator frame, its forms' cookies at each posted address,
    400 when it shows a refusal."""
    links = CycleLinks(ctx.pages.paths.prefix)
    return page(
        ctx,
        viewer,
        template,
        nav="audit",
        title=title,
        status_code=400 if refusal else 200,
        form_paths=form_posts,
        cycle=links,
        reference=reference,
        refusal=refusal or Refusal(),
        **context,
    )


def back_to(address: str, **said: str) -> RedirectResponse:
    """After a form did its work: the page again (POST, redirect, GET), saying what was done."""
    query = "&".join(f"{key}={value}" for key, value in said.items())
    return RedirectResponse(f"{address}?{query}" if query else address, status_code=303)
