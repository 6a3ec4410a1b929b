"""What the coordinator pages show: the board, one audit, and ratings across themes.

Each builder reads through the engine's read-only services and hands the template plain
values. Every page carries the sign-out form, whose CSRF cookie is scoped to the sign-out
address (as a link's is to its link), so it never collides with a link form's cookie.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.responses import HTMLResponse

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.links import CycleLinks
from oscp_flow.web.diagram_svg import draw
from oscp_flow.web.return_form import ErrorLink
from states.rules.action_plan import REVIEWER_ROLES
from states.rules.passwords import MIN_LENGTH
from states.rules.quarters import plain_day
from states.services import (
    actions,
    aggregation,
    board,
    concern_reads,
    queries,
    reports,
    returns_status,
    shared_items,
    sign_off_views,
    tasks,
)
from states.services.aggregation import Distribution
from states.services.web_sessions import Viewer

log = logging.getLogger("oscp_flow.web.coordinator")
# The summary report's four sections (framework, "Lessons and actions"), as the page heads them.
REPORT_SECTIONS = (
    ("working_well", "What is working well"),
    ("emerging_concerns", "Emerging concerns"),
    ("recommendations", "Recommendations"),
    ("reflection", "Reflection on the process of the audit"),
)
BAR_WIDTH = 192  # px, the width of svg.bar in site.css (12rem)


@dataclass(frozen=True)
class Links:
    """Addresses of the coordinator pages under the configured base URL's path."""

    prefix: str

    @property
    def signin(self) -> str:
        return f"{self.prefix}/signin"

    @property
    def signout(self) -> str:
        return f"{self.prefix}/signout"

    @property
    def board(self) -> str:
        return f"{self.prefix}/board"

    @property
    def themes(self) -> str:
        return f"{self.prefix}/themes"

    @property
    def password(self) -> str:
        return f"{self.prefix}/account/password"

    @property
    def people(self) -> str:
        return f"{self.prefix}/people"

    @property
    def directory(self) -> str:
        return f"{self.prefix}/directory"

    def person(self, person_id: int) -> str:
        """One person's page, where their form posts (and so its CSRF cookie's path)."""
        return f"{self.people}/{person_id}"

    def audit(self, reference: str) -> str:
        return f"{self.prefix}/audits/{quote(reference, safe='')}"

    def actions(self, reference: str) -> str:
        """Under which an audit's action forms post, and so the path their CSRF cookie is for."""
        return f"{self.audit(reference)}/actions/"

    def review(self, reference: str, number: int) -> str:
        return f"{self.actions(reference)}{number}/review"

    def add_action(self, reference: str) -> str:
        return f"{self.actions(reference)}new"


@dataclass(frozen=True)
class Done:
    """What a form on the audit page did, for the page to say."""

    what: str  # "accepted", "sent_back" or "added"
    number: int


@dataclass(frozen=True)
class Problem:
    """A form on the audit page refused: which form (an action's number for a review, 0 for
    adding), why, and what was typed, so nothing is lost."""

    form: int
    error: str
    typed: dict[str, str]


@dataclass(frozen=True)
class Segment:
    """One grade's share of a bar: its colour class (best to worst), place and count."""

    css: str
    x: float
    width: float
    value: str
    count: int


def bar(distribution: Distribution) -> list[Segment]:
    """Grades best first, coloured from green to red whatever the scale's length."""
    total = distribution.total
    steps = max(len(distribution.values) - 1, 1)
    segments, x = [], 0.0
    for i, (value, count) in enumerate(zip(distribution.values, distribution.counts, strict=True)):
        width = BAR_WIDTH * count / total if total else 0.0
        segments.append(Segment(f"g{round(i * 4 / steps)}", x, width, value, count))
        x += width
    return segments


def page(
    ctx: WebContext,
    viewer: Viewer,
    template: str,
    *,
    nav: str,
    status_code: int = 200,
    form_paths: Sequence[str] = (),
    **context: Any,
) -> HTMLResponse:
    """A coordinator page; its forms (sign-out, and any at ``form_paths``) share one token,
    whose signed cookie is set for each form's path."""
    links = Links(ctx.pages.paths.prefix)
    form_token = ctx.guard.for_page(None)
    catalogue = ctx.deps.catalogue
    response = ctx.pages.render(
        template,
        status_code,
        viewer=viewer,
        nav=nav,
        links=links,
        csrf=form_token.value,
        day=plain_day,
        types={k: catalogue.current(k).definition.title for k in catalogue.audit_types},
        stage_titles={
            (k, s.name): s.title
            for k in catalogue.audit_types
            for s in catalogue.current(k).definition.states
        },
        now=ctx.deps.clock.now(),
        **context,
    )
    if form_token.cookie is not None:
        for path in (links.signout, *form_paths):
            ctx.guard.attach(response, form_token.cookie, path)
    return response


def board_page(ctx: WebContext, viewer: Viewer) -> HTMLResponse:
    log.info("person %d read the programme board", viewer.id)
    shown = board.board(ctx.deps)
    return page(
        ctx,
        viewer,
        "board.html",
        nav="board",
        title="Programme board",
        board=shown,
        # What a new partnership does next, until it is done: the pages say so, as the CLI does.
        no_directory=not board.agency_names(ctx.deps),
        no_programme=not shown.programme,
    )


def audit_page(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    *,
    done: Done | None = None,
    problem: Problem | None = None,
) -> HTMLResponse:
    """One audit. ``done`` says what the viewer's last form did; ``problem`` is a form sent
    back refused, shown beside the form with what was typed."""
    deps = ctx.deps
    queries.require_reader(deps, audit=reference, person=viewer.id)
    status = queries.audit_status(deps, audit=reference, as_person=viewer.id)
    # Attributable: who read which audit, by ids only (no names, no case details).
    log.info("person %d read audit %s", viewer.id, status.reference)
    # The changes of stage and the latest steps; the whole history has its own pages.
    history = queries.history_summary(deps, audit=status.reference)
    definition = board.definition_of(deps, audit=status.reference)
    plan = actions.list_actions(deps, audit=status.reference, as_person=viewer.id)
    awaiting = viewer.roles & REVIEWER_ROLES and any(a.status == "evidence_submitted" for a in plan)
    can_add = actions.may_add_actions(deps, audit=status.reference, as_person=viewer.id)
    return page(
        ctx,
        viewer,
        "audit.html",
        nav="audit",
        title=f"Audit {status.reference}",
        status=status,
        # The audit's parts as a task list, each linking to its own page of the cycle.
        tasks=tasks.tasks_of(deps, audit=status.reference),
        cycle=CycleLinks(ctx.pages.paths.prefix),
        diagram=draw(definition, status.state, set(history.visited)),
        returns=returns_status.returns_status(deps, audit=status.reference, as_person=viewer.id),
        history=history,
        action_plan=plan,
        sharing=shared_items.sharing_of(deps, audit=status.reference),
        sign_off=sign_off_views.sign_off_of(deps, audit=status.reference, viewer=viewer.id),
        # Beside the decisions, so the chair answering a refusal reads both together.
        report=reports.narrative_of(deps, audit=status.reference),
        report_sections=REPORT_SECTIONS,
        # Read (and each read kept) only by the chair and coordinators.
        concerns=concern_reads.on_audit_page(deps, audit=status.reference, as_person=viewer.id),
        state_titles={s.name: s.title for s in definition.states},
        reviewer=bool(viewer.roles & REVIEWER_ROLES),
        can_add=can_add,
        # For the form adding an action, shown only to those who may add one.
        agencies=sorted(board.agency_names(deps).items(), key=lambda pair: pair[1])
        if can_add
        else [],
        done=done,
        problem=problem,
        status_code=400 if problem else 200,
        form_paths=(
            [Links(ctx.pages.paths.prefix).actions(status.reference)] if awaiting or can_add else []
        ),
    )


def password_page(
    ctx: WebContext, viewer: Viewer, *, errors: dict[str, str] | None = None, changed: bool = False
) -> HTMLResponse:
    return page(
        ctx,
        viewer,
        "password.html",
        nav="password",
        title="Change your password",
        status_code=400 if errors else 200,
        form_paths=[Links(ctx.pages.paths.prefix).password],
        errors=errors or {},
        summary=[ErrorLink(f"#{name}", text) for name, text in (errors or {}).items()],
        changed=changed,
        min_length=MIN_LENGTH,
    )


@dataclass(frozen=True)
class ThemeRow:
    audit: board.RatedAudit
    agency: str
    ratings: Distribution


@dataclass(frozen=True)
class EediRow:
    audit: board.RatedAudit
    ratings: tuple[Distribution, ...]
    findings: aggregation.FindingCounts


def themes_page(ctx: WebContext, viewer: Viewer) -> HTMLResponse:
    log.info("person %d read the theme view", viewer.id)
    deps = ctx.deps
    rated = board.rated_audits(deps)
    names = board.agency_names(deps)
    over_time: dict[str, list[ThemeRow]] = {}
    eedi: list[EediRow] = []
    for audit in rated:
        found = aggregation.audit_aggregates(deps, audit=audit.reference)
        rows = over_time.setdefault(audit.theme, [])
        rows.extend(ThemeRow(audit, names.get(d.key, d.key), d) for d in found.by_agency)
        if found.eedi.questions:
            eedi.append(EediRow(audit, found.eedi.ratings, found.eedi.findings))
    return page(
        ctx,
        viewer,
        "themes.html",
        nav="themes",
        title="Themes across audits",
        by_type=_by_type(ctx, sorted({a.audit_type for a in rated})),
        over_time=over_time,
        eedi=eedi,
        bar=bar,
    )


def _by_type(ctx: WebContext, audit_types: Sequence[str]) -> list[tuple[str, Any]]:
    """(audit type title, ratings per theme) for each type that has rated returns."""
    return [
        (
            ctx.deps.catalogue.current(kind).definition.title,
            aggregation.theme_distributions(ctx.deps, audit_type=kind),
        )
        for kind in audit_types
        if kind in ctx.deps.catalogue.audit_types
    ]
