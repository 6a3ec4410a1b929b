"""What the stored status and purpose columns hold, each named once.

Each is a ``StrEnum`` whose values are the very strings the database has always held: a member
binds as that text and compares equal to a row's text, so nothing was migrated, and a
misspelt member is an error for mypy instead of a comparison that is silently never true.
Action statuses are ``states.rules.action_plan.Status``; a sign-off decision is
``states.rules.gates.Decision``, because the gates count them.
"""

from __future__ import annotations

from enum import StrEnum


class ReturnStatus(StrEnum):
    """One return (``audit_return.status``): a draft until submitted; reopening a submitted
    return makes it a draft again."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


class ReturnRequestStatus(StrEnum):
    """Where an agency taking part stands with its return (``participation.return_status``)."""

    REQUESTED = "requested"
    SUBMITTED = "submitted"
    # A submitted return sent back to its agency for changes.
    REOPENED = "reopened"


class ReportStatus(StrEnum):
    """A report (``report.status``): the database refuses any change to a frozen one."""

    DRAFT = "draft"
    FROZEN = "frozen"


class LinkPurpose(StrEnum):
    """What an e-mailed link lets its holder do (``action_token.purpose``, and
    ``outbox.link_purpose`` for the link a message will carry)."""

    SIGN_OFF = "sign_off"
    RETURN = "return"
    ASSURANCE = "assurance"
    ACTION = "action"
    LETTER = "letter"


class LinkRefusal(StrEnum):
    """Why a use of a link was refused, as counted in ``token_event.outcome``."""

    REPLAYED = "replayed"
    EXPIRED = "expired"
    REVOKED = "revoked"
    # A sign-off link used after its holder's decision was recorded by another way.
    DECIDED = "decided"
    UNKNOWN = "unknown"


class ConcernReadVia(StrEnum):
    """How an immediate-risk concern's words reached the person who read them
    (``concern_read.via``)."""

    # The responding agency's e-mailed assurance link.
    LINK = "link"
    # The audit's page, signed in as a coordinator or the audit's chair.
    AUDIT_PAGE = "audit_page"


class Involvement(StrEnum):
    """An auditor's declaration about one case (``conflict_declaration.involvement``): the
    framework (s.11) wants auditors "not directly involved in the practice or management of
    the specific cases being audited"."""

    NONE = "none"
    PRACTICE = "practice"
    MANAGEMENT = "management"


# The declarations that bar an auditor from auditing the case.
BARRING = frozenset({Involvement.PRACTICE, Involvement.MANAGEMENT})
