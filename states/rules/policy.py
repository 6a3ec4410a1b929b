"""Who may do what: every named permission and the roles that hold it, in one place.

Services ask ``require(roles, Permission.X, refusal=...)`` rather than intersecting their own
role sets, so a change to who may organise an audit or sign in is one line here and nowhere
else. A refusal for lack of a role is ``PermissionDenied`` (HTTP 403, its own CLI exit code),
never ``InvalidInput``: nothing the person could retype would change the answer.

The roles are the partnership's own (``states.definitions.roles``); which of them count in one audit
(chair, auditor, agency lead) is the store's ``roles_in``, asked before the policy is.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from states.definitions.roles import ACTION_OWNER_ROLES, RAISING_AGENCY_LEAD
from states.errors import PermissionDenied


class Permission(Enum):
    # Running an audit's programme: sample, cases, agencies, auditors, reports, letters.
    ORGANISE = "organise"
    # Writing the report that goes for sign-off, and freezing it as submitted: the chair or
    # coordinator, and on a type an agency raises, that agency's leads (its response).
    WRITE_REPORT = "write_report"
    # Partnership-wide steps only the learning hub coordinator takes: starting an audit,
    # reopening a return, extending a deadline, carrying actions, managing people.
    COORDINATE = "coordinate"
    # Raising a single-agency exception report with the learning hub, for their own agency
    # (framework s.5; a type allows it with ``raised_by_agency``). Coordinators start any.
    RAISE_EXCEPTION = "raise_exception"
    # Leading (chairing the triage of) an exception an agency raised: the learning hub's.
    LEAD_RAISED_EXCEPTION = "lead_raised_exception"
    # Keeping the partnership's directory: agencies, settings, people, roles and bodies.
    MANAGE_DIRECTORY = "manage_directory"
    # Acting as the identity a run started through Prefect carries.
    OPERATE = "operate"
    # Seeing an audit's whole action plan: it is theirs to run, sign off or review.
    OVERSEE_ACTIONS = "oversee_actions"
    # Writing returns (an agency's, or a case's as its assigned auditor).
    CONTRIBUTE_RETURNS = "contribute_returns"
    # An auditor's declaration of involvement in a case assigned to them (framework s.11).
    DECLARE_INVOLVEMENT = "declare_involvement"
    RECORD_FINDINGS = "record_findings"
    # Findings are "moderated by the agency/auditors" (framework): the chair and the assigned
    # auditors moderate every finding, an agency lead only their own agency's.
    MODERATE_FINDINGS = "moderate_findings"
    MODERATE_OWN_AGENCY_FINDINGS = "moderate_own_agency_findings"
    # Deciding on sign-off: in an audit, the members of the bodies its sign-off names (or,
    # for an audit whose rule still names roles, those roles).
    SIGN_OFF = "sign_off"
    # Reading an audit's own page (its returns, history, report and decisions): the
    # partnership's oversight (coordinators, the learning hub) and, in one audit, its chair and
    # the auditors assigned its cases. Signing in opens no other audit (need-to-know).
    READ_AUDIT = "read_audit"
    # Signing in to the web app: those who run audits (coordinators, chairs), the auditors who
    # complete and moderate case audits, and the learning hub; everyone else works by
    # e-mailed link.
    SIGN_IN = "sign_in"
    # Reading an immediate-risk concern's words and the agency's assurance on the audit's
    # page; the agency reads its own behind its assurance link (need-to-know, every read kept).
    READ_CONCERNS = "read_concerns"
    # Holding each kind of e-mailed link (sign-off links follow the definition instead).
    HOLD_RETURN_LINK = "hold_return_link"
    HOLD_ASSURANCE_LINK = "hold_assurance_link"
    HOLD_ACTION_LINK = "hold_action_link"
    HOLD_LETTER_LINK = "hold_letter_link"
    # Scheduling, moving and cancelling the audit's discussion meeting and recording who
    # attended: the audit's chair and the coordinators.
    ARRANGE_MEETING = "arrange_meeting"


_COORDINATOR = frozenset({"coordinator"})

ROLES: dict[Permission, frozenset[str]] = {
    Permission.ORGANISE: frozenset({"chair", "coordinator"}),
    Permission.WRITE_REPORT: frozenset({"chair", "coordinator", RAISING_AGENCY_LEAD}),
    Permission.COORDINATE: _COORDINATOR,
    Permission.RAISE_EXCEPTION: frozenset({"agency_lead"}),
    Permission.LEAD_RAISED_EXCEPTION: frozenset({"coordinator", "learning_hub_member"}),
    Permission.MANAGE_DIRECTORY: _COORDINATOR,
    Permission.OPERATE: _COORDINATOR,
    Permission.OVERSEE_ACTIONS: frozenset(
        {"coordinator", "chair", "learning_hub_member", "statutory_partner"}
    ),
    Permission.CONTRIBUTE_RETURNS: frozenset({"agency_lead", "auditor", "coordinator"}),
    Permission.DECLARE_INVOLVEMENT: frozenset({"auditor"}),
    Permission.RECORD_FINDINGS: frozenset({"chair", "coordinator", "auditor"}),
    Permission.MODERATE_FINDINGS: frozenset({"chair", "auditor"}),
    Permission.MODERATE_OWN_AGENCY_FINDINGS: frozenset({"chair", "auditor", "agency_lead"}),
    Permission.SIGN_OFF: frozenset({"learning_hub_member", "statutory_partner", "sign_off_member"}),
    Permission.READ_AUDIT: frozenset({"coordinator", "learning_hub_member", "chair", "auditor"}),
    Permission.SIGN_IN: frozenset({"coordinator", "chair", "auditor", "learning_hub_member"}),
    Permission.READ_CONCERNS: frozenset({"coordinator", "chair"}),
    Permission.HOLD_RETURN_LINK: frozenset({"agency_lead"}),
    # An agency lead only while the agency has no strategic lead (``link_rules``).
    Permission.HOLD_ASSURANCE_LINK: frozenset({"strategic_lead", "agency_lead"}),
    Permission.HOLD_ACTION_LINK: ACTION_OWNER_ROLES,
    Permission.HOLD_LETTER_LINK: ACTION_OWNER_ROLES,
    Permission.ARRANGE_MEETING: frozenset({"chair", "coordinator"}),
}


def roles_for(permission: Permission) -> frozenset[str]:
    return ROLES[permission]


def allows(roles: Iterable[str], permission: Permission) -> bool:
    return not ROLES[permission].isdisjoint(roles)


def require(roles: Iterable[str], permission: Permission, *, refusal: str) -> None:
    """Refuse with ``refusal`` (one sentence: who may, and that this person is not) unless
    one of ``roles`` holds ``permission``."""
    if not allows(roles, permission):
        raise PermissionDenied(refusal)


class Reach(Enum):
    """How far a person's moderation reaches in one audit."""

    EVERY_FINDING = "every_finding"
    OWN_AGENCY = "own_agency"


def moderation_reach(roles: Iterable[str]) -> Reach:
    """Every finding for the chair and assigned auditors, their own agency's for an agency
    lead; ``PermissionDenied`` for anyone else."""
    held = frozenset(roles)
    if allows(held, Permission.MODERATE_FINDINGS):
        return Reach.EVERY_FINDING
    require(
        held,
        Permission.MODERATE_OWN_AGENCY_FINDINGS,
        refusal="Only the chair, the audit's auditors, or an agency lead for their own "
        "agency's findings may moderate findings.",
    )
    return Reach.OWN_AGENCY


class ReturnsReach(Enum):
    """How much of an audit's returns a person sees: counts and status are no one's secret,
    but the pseudonymous case references each agency still owes are the organisers' (the
    coordinator and chair) and, for its own cases only, the agency's."""

    EVERY_AGENCY = "every_agency"
    OWN_AGENCY = "own_agency"
    COUNTS_ONLY = "counts_only"


def returns_reach(roles: Iterable[str]) -> ReturnsReach:
    held = frozenset(roles)
    if allows(held, Permission.ORGANISE):
        return ReturnsReach.EVERY_AGENCY
    if allows(held, Permission.HOLD_RETURN_LINK):
        return ReturnsReach.OWN_AGENCY
    return ReturnsReach.COUNTS_ONLY


def either(roles: Iterable[str]) -> str:
    """The roles as a person reads them: "chair or coordinator"."""
    names = sorted(r.replace("_", " ") for r in roles)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
