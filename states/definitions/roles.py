"""The partnership's role vocabulary.

Definitions may only name these roles, so a typo in a YAML file is caught at load time
rather than silently locking everyone out of a transition.
"""

from __future__ import annotations

ROLES: dict[str, str] = {
    "coordinator": "Learning hub coordinator in the OSCP business unit",
    "chair": "Chair of the audit and author of its summary report (the audit's lead)",
    "auditor": "Practitioner assigned to audit cases, independent of them",
    "agency_lead": "Audit lead of a participating agency or setting",
    "strategic_lead": "Strategic lead of an agency, who receives escalations",
    "learning_hub_member": "Member of the OSCP learning hub",
    "statutory_partner": "Lead safeguarding partner (council, police or health)",
    "sign_off_member": "Member of a body whose sign-off the audit needs (in that audit only)",
    "system": "The engine itself, acting on a deadline",
}

# Roles that count only within an audit: the lead chairs it, an agency lead acts where their
# agency takes part, an auditor where assigned a case (see AuditStore.roles_in), and a member
# of a body its sign-off names decides it (see states.services.sign_off).
AUDIT_SCOPED_ROLES = frozenset({"chair", "auditor", "agency_lead", "sign_off_member"})

# Granted per audit, never held: on a type an agency raises (``raised_by_agency``), the agency
# lead and strategic lead of an agency taking part, who write its response as the report (see
# AuditStore.roles_in). Not in ROLES: no definition names it and nobody is given it.
RAISING_AGENCY_LEAD = "raising_agency_lead"

# The roles the directory gives people: every one but ``sign_off_member``, which a person
# holds in an audit only by sitting on a body its sign-off names.
GIVEN_ROLES: tuple[str, ...] = tuple(role for role in ROLES if role != "sign_off_member")

# Who owns an action of an audit's plan: the owner agency's leads.
ACTION_OWNER_ROLES = frozenset({"agency_lead", "strategic_lead"})
