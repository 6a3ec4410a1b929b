"""The SQLModel tables as SQLAlchemy Core ``Table`` objects, for the Core queries services run.

Each model's mapper names its table (SQLAlchemy's public ``inspect``); naming each table once
here lets the services write ``t.audit.c.state`` instead of asking the mapper every time.
"""

from __future__ import annotations

from sqlalchemy import Table, inspect
from sqlmodel import SQLModel

from states.persistence import calendar_records, meeting_records, records, sign_in_attempts


def _table(model: type[SQLModel]) -> Table:
    table = inspect(model).local_table
    # Every record is a plain ``table=True`` model, mapped to one table (no joins, no views).
    assert isinstance(table, Table)
    return table


agency = _table(records.Agency)
person = _table(records.Person)
role = _table(records.PersonRole)
audit = _table(records.AuditCycle)
event = _table(records.AuditEvent)
snapshot = _table(records.DefinitionSnapshot)
participation = _table(records.Participation)
case = _table(records.CaseRecord)
assignment = _table(records.AuditorAssignment)
conflict = _table(records.ConflictDeclaration)
terms = _table(records.TermsOfReference)
finding = _table(records.Finding)
decision = _table(records.SignOffDecisionRecord)
decision_body = _table(records.SignOffDecisionBody)
escalation = _table(records.Escalation)
concern_read = _table(records.ConcernRead)
deadline = _table(records.Deadline)
tool_snapshot = _table(records.ToolSnapshot)
case_agency = _table(records.CaseAgency)
attendee = _table(records.Attendee)
sample = _table(records.SampleSelection)
audit_return = _table(records.AuditReturn)
answer = _table(records.Answer)
feedback = _table(records.Feedback)
outbox = _table(records.Outbox)
reminder = _table(records.Reminder)
lease = _table(records.SchedulerLease)
token = _table(records.ActionToken)
token_event = _table(records.TokenEvent)
directory_change = _table(records.DirectoryChange)
body = _table(records.Body)
body_member = _table(records.BodyMember)
programme_entry = _table(records.ProgrammeEntry)
programme_occurrence = _table(records.ProgrammeOccurrence)
action = _table(records.Action)
report = _table(records.Report)
dissemination = _table(records.Dissemination)
shared_item = _table(records.SharedItem)
credential = _table(records.Credential)
web_session = _table(records.WebSession)
sign_in_throttle = _table(records.SignInThrottle)
sign_in_attempt = _table(sign_in_attempts.SignInAttempt)
meeting = _table(meeting_records.AuditMeeting)
meeting_attendee = _table(meeting_records.MeetingAttendee)
deadline_entry = _table(calendar_records.DeadlineEntry)
deadline_entry_holder = _table(calendar_records.DeadlineEntryHolder)
