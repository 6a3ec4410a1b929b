"""What a sign-off link shows above its form: the frozen report the member is asked to sign
off, and, after a refusal, what changed since the version that was sent back.

Read behind the same checks as the page itself (the right link, unused, unexpired, for the
stage the audit is at, its holder still in the role, and not decided already), so the report
and its PDF are there exactly as long as the decision is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from states.errors import AlreadyDecided
from states.persistence import tokens
from states.persistence.store import AuditRow, AuditStore
from states.persistence.vocabulary import LinkPurpose
from states.rules.report_changes import SectionChanges, report_changes
from states.services import work
from states.services.deps import Deps
from states.services.freezing import current_round, stages_of
from states.services.link_rules import check_holder, recording_refusals
from states.services.report_store import StoredReport, frozen_summaries


@dataclass(frozen=True)
class SubmittedReport:
    audit: str
    # The version submitted; None for an audit submitted before submitting froze its report.
    report: StoredReport | None
    # The version before it, sent back for further assurance, and what changed since.
    previous: StoredReport | None = None
    changes: tuple[SectionChanges, ...] = ()


def submitted_report(deps: Deps, token: str) -> SubmittedReport:
    """The newest frozen version of the audit's summary and, if it follows a refusal, the one
    before it with the changes between them; reading changes nothing."""
    with recording_refusals(deps, token), deps.uow(readonly=True) as uow:
        row = _checked(deps, uow.connection, token)
        return submitted_for(deps, uow.connection, row)
    raise AssertionError("unreachable: recording_refusals re-raises every refusal")


def submitted_for(deps: Deps, connection: Connection, row: AuditRow) -> SubmittedReport:
    """``submitted_report`` for an audit whose link the caller has checked."""
    newest = frozen_summaries(connection, row.id, newest=2)
    stages = stages_of(deps, AuditStore(connection), row)
    current = current_round(connection, row, stages)
    # Only the version this round froze is the one being signed off: an audit submitted
    # before submitting froze its report may hold an older, refused one.
    if not newest or not current.frozen or newest[0].version != current.version:
        return SubmittedReport(row.reference, None)
    report, previous = newest[0], (newest[1] if len(newest) > 1 else None)
    if previous is None:
        return SubmittedReport(row.reference, report)
    changes = report_changes(previous.narrative, report.narrative)
    return SubmittedReport(row.reference, report, previous, changes)


def _checked(deps: Deps, connection: Connection, token: str) -> AuditRow:
    grant = tokens.find(connection, token)
    row = AuditStore(connection).load_audit(grant.audit_id)
    tokens.check(grant, row, purpose=LinkPurpose.SIGN_OFF, now=deps.clock.now())
    who = check_holder(deps, connection, grant, row)
    if work.has_decided(connection, row, who.id):
        raise AlreadyDecided(audit=row.reference)
    return row
