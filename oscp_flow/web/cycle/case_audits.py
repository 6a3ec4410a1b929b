"""An auditor completes their case audit signed in: for one sampled case, the return on each
agency the case names (the engine's model: on a tool completed per case, each involved
agency owes a return on the case, and the auditor assigned to it may write each of them).

The page reads ``states.services.case_audits.case_audit`` (which decides whose returns the
person may complete) and builds each agency's form with the e-mailed return page's own code
(``oscp_flow.web.return_form``) and macros. "Save draft" and "Submit" post to one address
with the case and agency hidden; they call ``returns.save_draft`` and ``returns.submit``. A
refusal comes back beside the form: each missing or wrong answer beside its question, with
everything typed kept; a submitted return is shown read-only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.web.context import WebContext
from oscp_flow.web.cycle.common import Refusal, back_to, cycle_page, typed
from oscp_flow.web.cycle.links import CycleLinks
from oscp_flow.web.cycle.returns import AnsweredSection, answered
from oscp_flow.web.return_form import CaseForm, ErrorLink, build, field_errors, posted_answers
from states.errors import AuditEngineError, NotFound, PermissionDenied, ReturnIncomplete
from states.persistence.vocabulary import ReturnStatus
from states.services import case_audits, returns
from states.services.case_audits import AgencyCaseReturn, CaseAudit
from states.services.web_sessions import Viewer

if TYPE_CHECKING:  # routes imports each part's module to add its routes
    from oscp_flow.web.cycle.routes import Area

log = logging.getLogger("oscp_flow.web.cycle")
MAX_KEY = 63  # a case reference or agency code from a form or query, at most
DONE = ("saved", "submitted")


@dataclass(frozen=True)
class Posted:
    """One agency's form sent back refused: what was typed, and why, to show beside it."""

    agency: str
    answers: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    general: str | None = None


@dataclass(frozen=True)
class AgencyForm:
    """One involved agency's return on the case, as the page shows it."""

    number: int
    saved: AgencyCaseReturn
    form: CaseForm
    answers: list[AnsweredSection]
    editable: bool  # shown as a form (returns open, not submitted), else read-only
    general: str | None = None

    @property
    def button(self) -> str:
        """The id of the form's first button, beside which a refusal of the whole form is
        shown (above the agency's answers when no form is shown)."""
        return f"c{self.number}-save"

    @property
    def anchor(self) -> str:
        """Where the error summary's link to that refusal goes."""
        return self.button if self.editable else f"agency-{self.number}-title"


def add_routes(router: APIRouter, area: Area) -> None:
    ctx = area.ctx

    async def page(request: Request, reference: str, case: str) -> Response:
        done = next(
            ((d, request.query_params[d][:MAX_KEY]) for d in DONE if d in request.query_params),
            None,
        )
        return await area.show(
            request, lambda v: case_audit_page(ctx, v, reference, case, done=done)
        )

    async def save(request: Request, reference: str) -> Response:
        return await area.posted(
            request,
            lambda v, form: save_case_audit(ctx, v, reference, form),
            max_bytes=ctx.config.max_form_bytes,
        )

    router.add_api_route("/audits/{reference}/cases/{case}", page, methods=["GET", "HEAD"])
    router.add_api_route("/audits/{reference}/do/case-audit", save, methods=["POST"])


def case_page(ctx: WebContext, reference: str, case: str) -> str:
    return CycleLinks(ctx.pages.paths.prefix).page(reference, f"cases/{quote(case, safe='')}")


def case_audit_page(
    ctx: WebContext,
    viewer: Viewer,
    reference: str,
    case: str,
    *,
    done: tuple[str, str] | None = None,
    posted: Posted | None = None,
) -> Response:
    shown = case_audits.case_audit(ctx.deps, audit=reference, actor=viewer.id, case=case)
    log.info("person %d read a case audit of audit %s", viewer.id, shown.audit)
    forms = [_agency_form(shown, n, saved, posted) for n, saved in enumerate(shown.returns)]
    links: list[ErrorLink] = []
    for form in forms:
        # Three agencies' forms ask the same questions: each link says whose it is.
        agency = form.saved.agency.name
        links += [ErrorLink(e.href, f"{agency}, {e.text}", e.message) for e in form.form.errors]
        if form.general:
            links.append(ErrorLink(f"#{form.anchor}", form.general))
    name = next((f.saved.agency.name for f in forms if done and f.saved.agency.code == done[1]), "")
    cycle = CycleLinks(ctx.pages.paths.prefix)
    return cycle_page(
        ctx,
        viewer,
        "cycle_case_audit.html",
        title=f"Case audit of case {shown.case}",
        reference=shown.audit,
        form_posts=[cycle.post(shown.audit, "case-audit")] if shown.open else [],
        refusal=Refusal(message=posted.general, fields=posted.errors) if posted else None,
        shown=shown,
        forms=forms,
        error_links=links,
        errors=links,  # the page's title says "Error:" while any is shown
        notice=_notice(done[0], name) if done and name else None,
    )


def _agency_form(
    shown: CaseAudit, number: int, saved: AgencyCaseReturn, posted: Posted | None
) -> AgencyForm:
    values = dict(saved.saved.answers)
    errors: dict[str, str] = {}
    general = None
    if posted is not None and posted.agency == saved.agency.code:
        values.update(posted.answers)
        errors, general = posted.errors, posted.general
    form = build(
        shown.tool,
        shown.phase,
        number=number,
        case=shown.case,
        status=saved.saved.status,
        values=values,
        errors=errors,
    )
    submitted = saved.saved.status == ReturnStatus.SUBMITTED
    answers = answered(shown.tool, shown.phase, saved.saved) if submitted else []
    editable = shown.open and not submitted
    return AgencyForm(number, saved, form, answers, editable, general)


def _notice(done: str, agency: str) -> str:
    if done == "submitted":
        return f"The case audit for {agency} is submitted and locked."
    return (
        f"Your draft for {agency} is saved. Nothing goes to the audit until you submit it; "
        "you can come back to this page to carry on."
    )


def save_case_audit(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> Response:
    """Save or submit one agency's return on the case; the case and agency posted must be
    one the page offers this person, or it is not found."""
    chosen = typed(form, ("case", "agency"))
    case, agency = chosen["case"][:MAX_KEY], chosen["agency"][:MAX_KEY]
    shown = case_audits.case_audit(ctx.deps, audit=reference, actor=viewer.id, case=case)
    if shown.agency(agency) is None:
        raise NotFound("case audit", f"{shown.audit}/{case}/{agency}")
    answers = posted_answers(shown.tool, shown.phase, form)
    submit = form.get("intent") == "submit"
    act = returns.submit if submit else returns.save_draft
    try:
        act(ctx.deps, audit=shown.audit, actor=viewer.id, agency=agency, case=case, answers=answers)
    except PermissionDenied:
        raise
    except ReturnIncomplete as problems:
        errors = field_errors(problems.problems)
        posted = Posted(agency, answers, errors, None if errors else str(problems))
        return case_audit_page(ctx, viewer, reference, case, posted=posted)
    except AuditEngineError as refused:
        posted = Posted(agency, answers, general=str(refused))
        return case_audit_page(ctx, viewer, reference, case, posted=posted)
    log.info("person %d %s a case audit on audit %s", viewer.id, _did(submit), shown.audit)
    return back_to(case_page(ctx, shown.audit, case), **{_did(submit): agency})


def _did(submit: bool) -> str:
    return "submitted" if submit else "saved"
