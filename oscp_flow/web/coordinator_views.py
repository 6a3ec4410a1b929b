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

from oscp_flow.accounts import Viewer
from oscp_flow.web.context import WebContext
from oscp_flow.web.diagram_svg import draw
from states.quarters import plain_day
from states.services import actions, aggregation, board, queries
from states.services.aggregation import Distribution

log = logging.getLogger("oscp_flow.web.coordinator")
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

    def audit(self, reference: str) -> str:
        return f"{self.prefix}/audits/{quote(reference, safe='')}"


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
    ctx: WebContext, viewer: Viewer, template: str, *, nav: str, **context: Any
) -> HTMLResponse:
    links = Links(ctx.pages.paths.prefix)
    form_token = ctx.guard.for_page(None)
    catalogue = ctx.deps.catalogue
    response = ctx.pages.render(
        template,
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
        ctx.guard.attach(response, form_token.cookie, links.signout)
    return response


def board_page(ctx: WebContext, viewer: Viewer) -> HTMLResponse:
    log.info("person %d read the programme board", viewer.id)
    return page(
        ctx, viewer, "board.html", nav="board", title="Programme board", board=board.board(ctx.deps)
    )


def audit_page(ctx: WebContext, viewer: Viewer, reference: str) -> HTMLResponse:
    deps = ctx.deps
    status = queries.audit_status(deps, audit=reference, as_person=viewer.id)
    # Attributable: who read which audit, by ids only (no names, no case details).
    log.info("person %d read audit %s", viewer.id, status.reference)
    history = queries.history(deps, audit=status.reference)
    visited = {e.from_state for e in history} | {e.to_state for e in history}
    definition = board.definition_of(deps, audit=status.reference)
    return page(
        ctx,
        viewer,
        "audit.html",
        nav="audit",
        title=f"Audit {status.reference}",
        status=status,
        diagram=draw(definition, status.state, visited),
        participations=board.participations(deps, audit=status.reference),
        history=history,
        stage_changes=[e for e in history if e.from_state != e.to_state],
        action_plan=actions.list_actions(deps, audit=status.reference, as_person=viewer.id),
        state_titles={s.name: s.title for s in definition.states},
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
