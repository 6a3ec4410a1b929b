"""Taking one case out of an audit's sample, or replacing it with another, before returns
open: one question page each, reached from the case's row on the sample page, for a
coordinator (``sampling.remove_case`` and ``sampling.replace_case``). The new case is typed
into the fields of a cases file's row and checked by the same rules
(``case_list.typed_case``); the reason is kept in the audit's history.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.common import Refusal, attempt, back_to, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from oscp_flow.web.cycle.sample import READING, sample_page
from states.errors import NotFound
from states.rules.case_list import typed_case
from states.services import board, sample_view, sampling
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes imports each part's module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
Change = Literal["remove", "replace"]
MAX_REASON = 1_000
GONE = "That case is no longer in the sample."
REMOVING = ("case", "reason")
REPLACING = ("case", "reference", "agencies", "first", "last", "reason")
# The form's field for each column of a cases file's row.
FIELD_OF = {
    "reference": "reference",
    "agencies": "agencies",
    "first_intervention_on": "first",
    "last_intervention_on": "last",
}


def add_routes(router: APIRouter, area: Area) -> None:
    pages = ChangePages(area)
    for change in ("remove", "replace"):
        router.add_api_route(
            f"/audits/{{reference}}/sample/cases/{{case}}/{change}",
            pages.remove_page if change == "remove" else pages.replace_page,
            methods=READING,
        )
    router.add_api_route("/audits/{reference}/do/sample-remove", pages.remove, methods=["POST"])
    router.add_api_route("/audits/{reference}/do/sample-replace", pages.replace, methods=["POST"])


class ChangePages:
    def __init__(self, area: Area) -> None:
        self.area = area

    async def remove_page(self, request: Request, reference: str, case: str) -> Response:
        ctx = self.area.ctx
        return await self.area.show(
            request, lambda v: change_page(ctx, v, reference, case, "remove")
        )

    async def replace_page(self, request: Request, reference: str, case: str) -> Response:
        ctx = self.area.ctx
        return await self.area.show(
            request, lambda v: change_page(ctx, v, reference, case, "replace")
        )

    async def remove(self, request: Request, reference: str) -> Response:
        ctx = self.area.ctx
        return await self.area.posted(request, lambda v, form: removed(ctx, v, reference, form))

    async def replace(self, request: Request, reference: str) -> Response:
        ctx = self.area.ctx
        return await self.area.posted(request, lambda v, form: replaced(ctx, v, reference, form))


def change_page(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    case: str,
    change: Change,
    *,
    refusal: Refusal | None = None,
) -> Response:
    sample, found = sample_view.case_to_change(
        ctx.deps, audit=reference, case=case, as_person=viewer.id
    )
    links = CycleLinks(ctx.pages.paths.prefix)
    verb = "Take case" if change == "remove" else "Replace case"
    return cycle_page(
        ctx,
        viewer,
        f"cycle_sample_{change}.html",
        title=f"{verb} {found.reference} of audit {sample.reference}",
        reference=sample.reference,
        form_posts=[links.post(sample.reference, f"sample-{change}")],
        refusal=refusal,
        error=refusal is not None,
        sample=sample,
        case=found,
        agencies=sorted(board.agency_names(ctx.deps).items()) if change == "replace" else [],
        max_reason=MAX_REASON,
    )


def removed(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    said = typed(form, REMOVING)
    _, refused = attempt(
        lambda: sampling.remove_case(
            ctx.deps, audit=reference, actor=viewer.id, case=said["case"], reason=said["reason"]
        )
    )
    if refused is None:
        log.info("person %d took a case out of the sample of audit %s", viewer.id, reference)
        return _back(ctx, reference, "removed")
    # The form's one field: the engine's sentence goes beside it.
    refusal = Refusal(fields={"reason": refused}, typed=said)
    return _again(ctx, viewer, reference, "remove", refusal)


def replaced(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    said = typed(form, REPLACING)
    new, problems = typed_case(said["reference"], said["agencies"], said["first"], said["last"])
    if new is None:
        fields = {FIELD_OF[column]: problem for column, problem in problems.items()}
        return _again(ctx, viewer, reference, "replace", Refusal(fields=fields, typed=said))
    _, refused = attempt(
        lambda: sampling.replace_case(
            ctx.deps,
            audit=reference,
            actor=viewer.id,
            case=said["case"],
            new=new,
            reason=said["reason"],
        )
    )
    if refused is None:
        log.info("person %d replaced a case in the sample of audit %s", viewer.id, reference)
        return _back(ctx, reference, "replaced")
    return _again(ctx, viewer, reference, "replace", Refusal(refused, typed=said))


def _again(
    ctx: WebContext, viewer: Viewer, reference: str, change: Change, refusal: Refusal
) -> Response:
    """The form again with the refusal beside it; if the case has gone meanwhile (the form
    was sent twice), the sample page saying so."""
    try:
        return change_page(ctx, viewer, reference, refusal.typed["case"], change, refusal=refusal)
    except NotFound:
        return sample_page(ctx, viewer, reference, refusal=Refusal(refusal.message or GONE))


def _back(ctx: WebContext, reference: str, done: str) -> Response:
    return back_to(CycleLinks(ctx.pages.paths.prefix).page(reference, "sample"), done=done)
