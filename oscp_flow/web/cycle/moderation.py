"""Moderating an audit's findings in the browser, as ``oscp findings list|confirm|change`` do.

The page reads ``states.services.moderation_page``: fifty findings at a time, grouped by the
tool's section and agency, each with the question and answer it came from and, once
moderated, the grade, who moderated it and why; filters and page numbers are plain query
parameters, so the page works with no JavaScript. Each finding has its own form: confirm it as
rated, or change a rating (``findings.change_rating``, which asks for the rationale). "Confirm
all shown" confirms, in one step, the findings on the page not yet moderated, by their ids
(``moderation.confirm_findings``), so what is confirmed is exactly what the person saw. Who
may moderate which findings is the engine's: anyone else is refused with a 403 page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.common import Refusal, attempt, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from states.errors import NotFound
from states.services import findings, moderation, moderation_page
from states.services.finding_views import FindingFilter
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes imports each part's module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
PART = "moderation"
# What the page says was just done, from the address a form sent the person back to.
DONE = ("confirmed", "changed", "all")
MAX_DIGITS = 9  # a finding's id, a page number or a count: more is not one of ours
FIELDS = ("finding", "rating", "rationale", "decision")
# A filter's value is a section id or agency code; anything longer is not one.
MAX_KEY = 63


@dataclass(frozen=True)
class View:
    """Which findings the page shows: its filters and page, from the address or a form."""

    section: str = ""
    agency: str = ""
    unmoderated: bool = False
    page: int = 1

    @classmethod
    def read(cls, values: Mapping[str, Any]) -> View:
        page = number(str(values.get("page", "")))
        return cls(
            section=str(values.get("section", "")).strip()[:MAX_KEY],
            agency=str(values.get("agency", "")).strip()[:MAX_KEY],
            unmoderated=values.get("unmoderated") == "1",
            page=page or 1,
        )

    def chosen(self) -> FindingFilter:
        return FindingFilter(
            section=self.section or None,
            agency=self.agency or None,
            unmoderated=self.unmoderated,
        )

    def query(self, **said: str | int) -> dict[str, str]:
        """The address's query for this view (only what narrows it), and anything ``said``."""
        kept = {"section": self.section, "agency": self.agency}
        kept |= {"unmoderated": "1" if self.unmoderated else ""}
        kept |= {"page": str(self.page) if self.page > 1 else ""}
        kept |= {key: str(value) for key, value in said.items()}
        return {key: value for key, value in kept.items() if value}


@dataclass(frozen=True)
class Done:
    """What the person's last form did: which finding, or how many were confirmed."""

    what: str
    finding: int | None = None
    count: int = 0
    kept: int = 0

    @classmethod
    def read(cls, values: Mapping[str, Any]) -> Done | None:
        what = str(values.get("done", ""))
        if what not in DONE:
            return None
        said = {key: number(str(values.get(key, ""))) for key in ("finding", "count", "kept")}
        return cls(what, said["finding"], said["count"] or 0, said["kept"] or 0)


def number(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= MAX_DIGITS else None


def add_routes(router: APIRouter, area: Area) -> None:
    ctx = area.ctx

    async def page(request: Request, reference: str) -> Response:
        view, done = View.read(request.query_params), Done.read(request.query_params)
        return await area.show(
            request, lambda viewer: moderation_view(ctx, viewer, reference, view, done=done)
        )

    async def moderate(request: Request, reference: str) -> Response:
        return await area.posted(
            request, lambda viewer, form: moderate_finding(ctx, viewer, reference, form)
        )

    async def confirm_all(request: Request, reference: str) -> Response:
        return await area.posted(
            request, lambda viewer, form: confirm_shown(ctx, viewer, reference, form)
        )

    router.add_api_route("/audits/{reference}/moderation", page, methods=["GET", "HEAD"])
    router.add_api_route("/audits/{reference}/do/moderate", moderate, methods=["POST"])
    router.add_api_route("/audits/{reference}/do/confirm-all", confirm_all, methods=["POST"])


def moderation_view(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    view: View,
    *,
    done: Done | None = None,
    refusal: Refusal | None = None,
    refused: int | None = None,
) -> Response:
    """The page of findings ``view`` asks for; ``refused`` is the finding whose form comes
    back refused (``refusal``), beside that finding with what was typed."""
    shown, problem = attempt(
        lambda: moderation_page.findings_page(
            ctx.deps, audit=reference, actor=viewer.id, shown=view.chosen(), page=view.page
        )
    )
    if shown is None:  # a section not in the audit's tool, from an edited address
        view = View()
        shown = moderation_page.findings_page(ctx.deps, audit=reference, actor=viewer.id)
        refusal = refusal or Refusal(fields={"section": str(problem)})
    view = replace(view, page=shown.page)
    if refusal and refused is not None and refused not in {m.finding.id for m in shown.findings}:
        # The finding is not on this page (the form came from another view): say it above.
        refusal = Refusal(" ".join(refusal.fields.values()), typed=refusal.typed)
    log.info("person %d read the findings of audit %s", viewer.id, shown.reference)
    cycle = CycleLinks(ctx.pages.paths.prefix)
    return cycle_page(
        ctx,
        viewer,
        "cycle_moderation.html",
        title=f"Moderate the findings of audit {shown.reference}",
        reference=shown.reference,
        form_posts=[cycle.post(shown.reference, verb) for verb in ("moderate", "confirm-all")],
        refusal=refusal,
        error=bool(refusal),
        shown=shown,
        view=view,
        done=done,
        refused=refused,
        address=lambda **said: _address(cycle, shown.reference, view, **said),
        waiting=[m.finding.id for m in shown.findings if not m.finding.moderated],
        page_numbers=page_numbers(shown.page, shown.pages),
        per_page=moderation_page.PER_PAGE,
        section_titles={s.value: s.label for s in shown.sections},
    )


def page_numbers(page: int, pages: int, *, around: int = 2) -> list[int | None]:
    """The page links to show: the first, the last, and those near ``page``; ``None`` where
    some are left out (fifteen hundred pages of a large audit would not fit a phone)."""
    near = {1, pages, *range(page - around, page + around + 1)}
    shown = sorted(n for n in near if 1 <= n <= pages)
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers


def _address(cycle: CycleLinks, reference: str, view: View, **said: str | int) -> str:
    """The page's address for ``view`` changed by ``said`` (``page=2``, ``section=""``)."""
    changed = replace(
        view,
        section=str(said.pop("section", view.section)),
        agency=str(said.pop("agency", view.agency)),
        page=int(said.pop("page", view.page)),
    )
    query = urlencode(changed.query(**said))
    return cycle.page(reference, PART) + (f"?{query}" if query else "")


def moderate_finding(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    """Confirm one finding as rated, or change its rating with a rationale."""
    view, given = View.read(form), typed(form, FIELDS)
    finding = number(given["finding"])
    if finding is None:
        raise NotFound("finding", given["finding"][:12])
    changing = given["decision"] == "change"
    _, refused = attempt(lambda: _moderate(ctx, viewer, reference, finding, given, change=changing))
    if refused:
        blank = changing and not given["rationale"]
        field = f"rationale-{finding}" if blank else f"{given['decision'] or 'confirm'}-{finding}"
        refusal = Refusal(fields={field: refused}, typed=given)
        return moderation_view(ctx, viewer, reference, view, refusal=refusal, refused=finding)
    log.info("person %d moderated finding %d of audit %s", viewer.id, finding, reference)
    what = "changed" if changing else "confirmed"
    return _back(ctx, reference, view, f"#finding-{finding}", done=what, finding=finding)


def _moderate(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    finding: int,
    given: dict[str, str],
    *,
    change: bool,
) -> None:
    if change:
        findings.change_rating(
            ctx.deps,
            audit=reference,
            actor=viewer.id,
            finding_id=finding,
            rating=given["rating"],
            rationale=given["rationale"],
        )
    else:
        findings.moderate(
            ctx.deps,
            audit=reference,
            actor=viewer.id,
            finding_id=finding,
            rationale=given["rationale"] or None,
        )


def confirm_shown(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    """Confirm as rated every finding the page showed not yet moderated (their ids came with
    the form); any moderated meanwhile are left as they were."""
    view = View.read(form)
    ids = [n for n in (number(str(v)) for v in form.getlist("finding")) if n is not None]
    done, refused = attempt(
        lambda: moderation.confirm_findings(ctx.deps, audit=reference, actor=viewer.id, ids=ids)
    )
    if done is None:
        refusal = Refusal(fields={"confirm-all": str(refused)})
        return moderation_view(ctx, viewer, reference, view, refusal=refusal)
    log.info("person %d confirmed %d findings of audit %s", viewer.id, done.confirmed, reference)
    return _back(
        ctx, reference, view, "", done="all", count=done.confirmed, kept=done.already_moderated
    )


def _back(
    ctx: WebContext, reference: str, view: View, fragment: str, **said: str | int
) -> RedirectResponse:
    """The same page of findings again (POST, redirect, GET), saying what was done."""
    address = _address(CycleLinks(ctx.pages.paths.prefix), reference, view, **said)
    return RedirectResponse(address + fragment, status_code=303)
