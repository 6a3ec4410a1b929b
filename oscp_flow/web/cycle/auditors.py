"""The auditors of an audit's cases, for its chair and the coordinators: each sampled case
with the auditor on it and what they declared, and a form on each case's row to assign one
of the partnership's auditors (``auditors.assign_auditor``). A refusal (an auditor who
declared involvement in the case, one already on it) is shown on that case's row, with the
choice kept. The assigned auditor declares on their own page (``cycle.work``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.common import Refusal, attempt, back_to, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from states.services import auditors
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes imports each part's module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")


def add_routes(router: APIRouter, area: Area) -> None:
    ctx = area.ctx

    async def show(request: Request, reference: str) -> Response:
        assigned = request.query_params.get("done") == "assigned"
        return await area.show(
            request, lambda v: auditors_page(ctx, v, reference, assigned=assigned)
        )

    async def assign(request: Request, reference: str) -> Response:
        return await area.posted(request, lambda v, form: assigned(ctx, v, reference, form))

    router.add_api_route("/audits/{reference}/auditors", show, methods=["GET", "HEAD"])
    router.add_api_route("/audits/{reference}/do/assign", assign, methods=["POST"])


def field_id(case: str) -> str:
    """The select on a case's row (references are letters, digits and hyphens)."""
    return f"auditor-{case}"


def auditors_page(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    *,
    assigned: bool = False,
    refusal: Refusal | None = None,
) -> Response:
    view = auditors.list_auditors(ctx.deps, audit=reference, as_person=viewer.id)
    log.info("person %d read the auditors of audit %s", viewer.id, view.audit)
    if refusal is not None and refusal.typed.get("case") not in view.cases:
        # No row to show it on (the case has left the sample): the page's own message.
        refusal = Refusal(" ".join(refusal.fields.values()), typed=refusal.typed)
    links = CycleLinks(ctx.pages.paths.prefix)
    return cycle_page(
        ctx,
        viewer,
        "cycle_auditors.html",
        title=f"Auditors for audit {view.audit}",
        reference=view.audit,
        form_posts=[links.post(view.audit, "assign")],
        refusal=refusal,
        error=refusal is not None,
        view=view,
        assigned=assigned,
        field_id=field_id,
    )


def assigned(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    said = typed(form, ("case", "auditor"))
    case, auditor = said["case"], said["auditor"]
    if not auditor:
        refused: str | None = f"Choose an auditor for case {case}."
    else:
        _, refused = attempt(
            lambda: auditors.assign_auditor(
                ctx.deps, audit=reference, actor=viewer.id, case=case, auditor=auditor
            )
        )
    if refused is None:
        log.info("person %d assigned an auditor on audit %s", viewer.id, reference)
        links = CycleLinks(ctx.pages.paths.prefix)
        return back_to(links.page(reference, "auditors"), done="assigned")
    refusal = Refusal(fields={field_id(case): refused}, typed=said)
    return auditors_page(ctx, viewer, reference, refusal=refusal)
