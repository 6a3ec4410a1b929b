"""Triggers the engine fires by name, declared once so loading a definition can check them.

Most triggers are the definition's own business: people fire them by name from the command
line or a page. These the engine's services fire themselves, at whatever stage the audit is:
an immediate-risk concern can arise, and be answered, at any point of an audit's life
(Framework, "Lessons and actions"). A type with immediate-risk concerns (one that declares
either trigger or gates on ``escalation_open`` or ``escalations_assured``) must declare both
as internal transitions allowed from every open state; ``states.definitions.graph`` checks it.

Sign-off is decided by e-mailed link too, but the link fires whichever way out of the
signing-off state its gate declares (``states.rules.stages``), never a trigger by name.
"""

from __future__ import annotations

RAISE_IMMEDIATE_RISK = "raise_immediate_risk"
RECORD_ASSURANCE = "record_assurance"
ESCALATION_TRIGGERS = (RAISE_IMMEDIATE_RISK, RECORD_ASSURANCE)
