"""A signed-in person's own work (``/work``) and an auditor's declaration of involvement.

Your work lists, for anyone signed in, the cases they audit with what each waits on (their
declaration, the case audit), the audits in moderation they audit, and the audits they chair;
a coordinator is pointed to the board. The declaration page is the assigned auditor's own
(``my_work.declaring`` refuses anyone else); declaring goes through ``auditors.declare``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.coordinator_views import page
from oscp_flow.web.cycle.common import Refusal, attempt, back_to, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from states.persistence.vocabulary import Involvement
from states.services import auditors, my_work
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes imports each part's module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
READING = ["GET", "HEAD"]
# The declaration's choices, as the auditor reads them (framework s.11).
CHOICES = (
    (Involvement.NONE, "I have no involvement in this case"),
    (Involvement.PRACTICE, "I have worked on this case (its practice)"),
    (Involvement.MANAGEMENT, "I have managed or supervised work on this case (its management)"),
)


def add_routes(router: APIRouter, area: Area) -> None:
    ctx = area.ctx

    async def work(request: Request) -> Response:
        declared = request.query_params.get("declared", "")
        said = declared if declared in {i.value for i in Involvement} else ""
        return await area.show(request, lambda v: work_page(ctx, v, declared=said))

    async def declaration(request: Request, reference: str, case: str) -> Response:
        return await area.show(request, lambda v: declaration_page(ctx, v, reference, case))

    async def declare(request: Request, reference: str) -> Response:
        return await area.posted(request, lambda v, form: declared(ctx, v, reference, form))

    router.add_api_route("/work", work, methods=READING)
    router.add_api_route("/audits/{reference}/declarations/{case}", declaration, methods=READING)
    router.add_api_route("/audits/{reference}/do/declare", declare, methods=["POST"])


def landing(ctx: WebContext, person_id: int) -> str:
    """Where signing in (with no page asked for) lands this person."""
    if my_work.starts_at_board(ctx.deps, person=person_id):
        return f"{ctx.pages.paths.prefix}/board"
    return CycleLinks(ctx.pages.paths.prefix).work


def work_page(ctx: WebContext, viewer: Viewer, *, declared: str = "") -> Response:
    work = my_work.my_work(ctx.deps, person=viewer.id)
    log.info("person %d read their own work", viewer.id)
    return page(
        ctx,
        viewer,
        "cycle_work.html",
        nav="work",
        title="Your work",
        cycle=CycleLinks(ctx.pages.paths.prefix),
        work=work,
        declared=declared,
    )


def declaration_page(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    case: str,
    *,
    refusal: Refusal | None = None,
) -> Response:
    asked = my_work.declaring(ctx.deps, audit=reference, case=case, as_person=viewer.id)
    links = CycleLinks(ctx.pages.paths.prefix)
    return cycle_page(
        ctx,
        viewer,
        "cycle_declaration.html",
        title=f"Your involvement in case {asked.case}",
        reference=asked.audit,
        form_posts=[links.post(asked.audit, "declare")],
        refusal=refusal,
        error=refusal is not None,
        asked=asked,
        choices=CHOICES,
        chosen=refusal.typed.get("involvement", "") if refusal else (asked.declared or ""),
    )


def declared(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    said = typed(form, ("case", "involvement"))
    case, involvement = said["case"], said["involvement"]
    if not involvement:
        refusal = Refusal(
            fields={"involvement": "Choose whether you have been involved in the case."},
            typed=said,
        )
        return declaration_page(ctx, viewer, reference, case, refusal=refusal)
    chosen, refused = attempt(
        lambda: auditors.declare(
            ctx.deps, audit=reference, actor=viewer.id, case=case, involvement=involvement
        )
    )
    if chosen is None:
        refusal = Refusal(fields={"involvement": refused or ""}, typed=said)
        return declaration_page(ctx, viewer, reference, case, refusal=refusal)
    log.info("person %d declared on a case of audit %s", viewer.id, reference)
    return back_to(CycleLinks(ctx.pages.paths.prefix).work, declared=chosen.value)
