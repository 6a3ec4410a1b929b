"""What people do by e-mailed link: sign off or refuse, complete a return, give assurance
(action and letter links have their own modules; every link is minted in ``minting``).

Opening a link only reads (scanners open links before people do). Acting checks the link —
right purpose, same audit, not used, withdrawn or expired, the audit still at the stage it was
for, and its holder still active in the role and agency it was made for — then does the work
and uses the link up in the same transaction. Every refused use is counted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, select

from states.definitions.tool import ToolDefinition
from states.errors import (
    AlreadyDecided,
    InvalidInput,
    TokenAlreadyUsed,
    TokenRevoked,
)
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.persistence.vocabulary import LinkPurpose
from states.rules.gates import Decision
from states.services import returns, sign_off, sign_off_links, work
from states.services.audits import compiled_for, tool_is_per_case
from states.services.deps import Deps
from states.services.link_rules import check_holder, recording_refusals
from states.services.sign_off_report import SubmittedReport, submitted_for

T = TypeVar("T")
# Completing "this link is no longer needed: ...".
ANSWERED = "the agency's assurance on this concern is already recorded"
AUDIT_ENDED = "the audit has ended"


@dataclass(frozen=True)
class LinkPage:
    """What a link's page shows: never free text typed by someone else."""

    purpose: LinkPurpose
    audit: str
    theme: str
    audit_title: str
    state_title: str
    person: str
    expires_at: datetime
    agency: str | None = None
    returns: tuple[returns.ReturnView, ...] = ()
    cases: tuple[str | None, ...] = ()
    tool: ToolDefinition | None = None
    phase: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


# --- checking -------------------------------------------------------------------------------


def _checked(
    deps: Deps, connection: Connection, token: str, purpose: LinkPurpose, *, lock: bool
) -> tuple[tokens.Grant, AuditRow, Actor]:
    grant = tokens.find(connection, token)
    store = AuditStore(connection)
    row = store.load_audit(grant.audit_id, for_update=lock)
    tokens.check(grant, row, purpose=purpose, now=deps.clock.now())
    if purpose == LinkPurpose.ASSURANCE:
        _check_concern_open(deps, connection, grant, row)
    return grant, row, check_holder(deps, connection, grant, row)


def _check_concern_open(
    deps: Deps, connection: Connection, grant: tokens.Grant, row: AuditRow
) -> None:
    """An assurance link outlives the stage it was sent in, not its concern or its audit."""
    if row.state in compiled_for(deps, AuditStore(connection), row).definition.final_states:
        raise TokenRevoked(AUDIT_ENDED)
    assured = connection.execute(
        select(t.escalation.c.assured_at).where(t.escalation.c.id == grant.escalation_id)
    ).scalar_one_or_none()
    if assured is not None:
        raise TokenRevoked(ANSWERED)


def open_link(deps: Deps, token: str, *, purpose: LinkPurpose) -> LinkPage:
    """The page behind a link; reading it changes nothing. A member who has decided already
    (by another of their links) is told so rather than shown the form again."""
    if purpose == LinkPurpose.SIGN_OFF:
        return open_sign_off(deps, token, report=False).page
    with recording_refusals(deps, token), deps.uow(readonly=True) as uow:
        grant, row, who = _checked(deps, uow.connection, token, purpose, lock=False)
        agency = _agency(
            uow.connection, grant.agency_id or _escalation_agency(uow.connection, grant)
        )
        return _with(_page(deps, uow.connection, grant, row, who), agency=agency)
    raise AssertionError("unreachable: recording_refusals re-raises every refusal")


@dataclass(frozen=True)
class SignOffPage:
    """A sign-off link's page: what every link's page says, and the report it asks about."""

    page: LinkPage
    report: SubmittedReport | None


def open_sign_off(deps: Deps, token: str, *, report: bool = True) -> SignOffPage:
    """A sign-off link's page and, with ``report``, the frozen report above its form: read
    together, behind one check of the link, so they are there exactly as long as the
    decision is."""
    with (
        recording_refusals(deps, token),
        sign_off.remembered(),
        deps.uow(readonly=True) as uow,
    ):
        c = uow.connection
        grant, row, who = _checked(deps, c, token, LinkPurpose.SIGN_OFF, lock=False)
        if work.has_decided(c, row, who.id):
            raise AlreadyDecided(audit=row.reference)
        page = _sign_off_page(deps, c, grant, row, who)
        return SignOffPage(page, submitted_for(deps, c, row) if report else None)
    raise AssertionError("unreachable: recording_refusals re-raises every refusal")


def _page(
    deps: Deps, connection: Connection, grant: tokens.Grant, row: AuditRow, who: Actor
) -> LinkPage:
    definition = compiled_for(deps, AuditStore(connection), row).definition
    return LinkPage(
        grant.purpose,
        row.reference,
        row.theme,
        definition.title,
        definition.state(row.state).title,
        who.name,
        grant.expires_at,
    )


def _sign_off_page(
    deps: Deps, connection: Connection, grant: tokens.Grant, row: AuditRow, who: Actor
) -> LinkPage:
    needed = sign_off_links.needed_for(deps, connection, row)
    return _with(_page(deps, connection, grant, row, who), extra={"needs": needed})


def _with(page: LinkPage, **changes: object) -> LinkPage:
    return LinkPage(**{**page.__dict__, **changes})


def _agency(connection: Connection, agency_id: int | None) -> str | None:
    if agency_id is None:
        return None
    return str(
        connection.execute(select(t.agency.c.code).where(t.agency.c.id == agency_id)).scalar_one()
    )


def _escalation_agency(connection: Connection, grant: tokens.Grant) -> int | None:
    if grant.escalation_id is None:
        return None
    return int(
        connection.execute(
            select(t.escalation.c.agency_id).where(t.escalation.c.id == grant.escalation_id)
        ).scalar_one()
    )


# --- acting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    """A member's decision, recorded: the page it was made on (as it stood before), and the
    audit's state afterwards."""

    page: LinkPage
    state: str
    moved: bool  # the decision finished the round: signed off, or sent back


def decide_sign_off(deps: Deps, token: str, *, decision: str, comment: str | None) -> str:
    """Record a member's decision; the quorum signs the audit off, a refusal sends it back.
    Returns the audit's state afterwards."""
    return decide_by_link(deps, token, decision=decision, comment=comment).state


def decide_by_link(deps: Deps, token: str, *, decision: str, comment: str | None) -> Decided:
    """``decide_sign_off``, with the page the decision was made on: one unit of work checks
    the link, reads what its page says and records the decision."""
    try:
        chosen = Decision(decision)
    except ValueError:
        raise InvalidInput("Choose approve or refuse.") from None
    with recording_refusals(deps, token), sign_off.remembered(), deps.uow() as uow:
        grant, row, who = _checked(deps, uow.connection, token, LinkPurpose.SIGN_OFF, lock=True)
        page = _sign_off_page(deps, uow.connection, grant, row, who)
        now = deps.clock.now()
        # Under the audit's lock: the same link posted twice finds itself used; a member's
        # other link (a reminder's) finds their first decision and is refused as
        # AlreadyDecided, which rolls this use back.
        tokens.consume(uow.connection, grant, at=now)
        said = work.insert_sign_off_decision(
            deps, uow.connection, row, who, decision=decision, comment=comment, now=now
        )
        state = sign_off_links.advance_after_decision(
            deps, uow, row, who, decision=chosen, said=said
        )
        uow.commit()
        return Decided(page, state, moved=state != row.state)
    raise AssertionError("unreachable: recording_refusals re-raises every refusal")


def give_assurance(deps: Deps, token: str, *, assurance: str) -> None:
    with recording_refusals(deps, token):
        with deps.uow(readonly=True) as uow:
            grant, row, _ = _checked(deps, uow.connection, token, LinkPurpose.ASSURANCE, lock=False)
        assert grant.escalation_id is not None
        work.record_assurance(
            deps,
            audit=row.id,
            actor=grant.person_id,
            escalation_id=grant.escalation_id,
            assurance=assurance,
            then=_consumer(deps, grant, row),
        )


def _consumer(deps: Deps, grant: tokens.Grant, row: AuditRow) -> Callable[[UnitOfWork], None]:
    """Used up inside the write, with its holder checked again there: a removal between
    opening the form and sending it is not missed."""

    def use(uow: UnitOfWork) -> None:
        check_holder(deps, uow.connection, grant, row)
        tokens.consume(uow.connection, grant, at=deps.clock.now())

    return use


def save_return(
    deps: Deps, token: str, *, case: str | None, answers: Mapping[str, object], submit: bool
) -> returns.ReturnView:
    """Save or submit one return; the link is used up once all the agency's returns are in."""
    with recording_refusals(deps, token):
        with deps.uow(readonly=True) as uow:
            grant, row, who = _checked(deps, uow.connection, token, LinkPurpose.RETURN, lock=False)
            agency = _agency(uow.connection, grant.agency_id)
        assert agency is not None
        act = returns.submit if submit else returns.save_draft
        view = act(deps, audit=row.id, actor=who.id, agency=agency, case=case, answers=answers)
        if submit:
            _use_when_complete(deps, grant)
        return view


def _use_when_complete(deps: Deps, grant: tokens.Grant) -> None:
    with deps.uow() as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(grant.audit_id)
        from states.persistence.facts import SqlAuditFacts

        facts = SqlAuditFacts(
            uow.connection,
            row.id,
            round_=row.state_round,
            per_case=tool_is_per_case(deps, store, row),
        )
        if grant.agency_id not in {a for a, _, _ in facts.outstanding_agencies()}:
            try:
                tokens.consume(uow.connection, grant, at=deps.clock.now())
            except TokenAlreadyUsed:
                return
            uow.commit()


def link_page_returns(deps: Deps, token: str) -> LinkPage:
    """The return link's page: the agency's returns this round, and the tool to fill them."""
    page = open_link(deps, token, purpose=LinkPurpose.RETURN)
    with deps.uow(readonly=True) as uow:
        grant = tokens.find(uow.connection, token)
        store = AuditStore(uow.connection)
        row = store.load_audit(grant.audit_id)
        tool = returns.tool_for(deps, store, row)
        phase = compiled_for(deps, store, row).definition.state(row.state).phase
        cases = _cases_for(uow.connection, row, grant.agency_id) if tool.per_subject else [None]
        person = grant.person_id
    views = tuple(
        returns.read(deps, audit=row.id, actor=person, agency=page.agency or "", case=case)
        for case in cases
    )
    return _with(page, returns=views, cases=tuple(cases), tool=tool, phase=phase)


def _cases_for(connection: Connection, row: AuditRow, agency_id: int | None) -> list[str | None]:
    statement = (
        select(t.case.c.reference)
        .join(t.case_agency, t.case_agency.c.case_id == t.case.c.id)
        .where(t.case.c.audit_id == row.id, t.case_agency.c.agency_id == agency_id)
        .order_by(t.case.c.reference)
    )
    return list(connection.execute(statement).scalars())
