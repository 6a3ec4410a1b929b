"""What each state of an audit is, in the engine's words: declared on every state in the YAML.

Each audit type names its states in its own words (``returns_open``, ``proposals_open``,
``pre_course_returns_open``), so the engine never reads meaning into a state's name or into
the gates on its way out. A state says what it is with ``stage``; ``states.rules.stages``
derives from these declarations everything the engine relies on (where returns are
collected, where findings are moderated, where the report is written, signed off and
published), and ``states.definitions.graph`` checks at load time that each declaration has
what it promises (a collecting stage has a way out gated on every return being in).
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    PLANNING = "planning"
    """Setting the audit up: theme, terms, scope, tool, sample, auditors, or the exception."""
    TRIAGING = "triaging"
    """The learning hub decides how the partnership takes an exception forward."""
    COLLECTING_RETURNS = "collecting_returns"
    """Agencies (or settings, partners, attendees) complete the tool: returns are open."""
    BETWEEN_ROUNDS = "between_rounds"
    """Waiting between rounds of returns: courses running, practice before a follow-up."""
    MODERATING = "moderating"
    """The chair and auditors confirm or change each finding: moderation is open."""
    GIVING_FEEDBACK = "giving_feedback"
    """Each agency or setting hears its own findings."""
    DRAFTING_REPORT = "drafting_report"
    """The chair (or the agency, for an exception) writes what goes for sign-off."""
    SIGNING_OFF = "signing_off"
    """Those who sign off approve or refuse; needs the definition's ``sign_off``."""
    FURTHER_ASSURANCE = "further_assurance"
    """Sign-off was refused: the author answers the comments, and may write again."""
    AGREEING_ACTIONS = "agreeing_actions"
    """The signed-off recommendations become actions with owners and due dates."""
    DISSEMINATING = "disseminating"
    """The signed-off learning is shared or published."""
    MONITORING_IMPACT = "monitoring_impact"
    """Action owners evidence impact until the learning hub accepts it."""
    CLOSED = "closed"
    """A final state: the audit finished its cycle."""
    WITHDRAWN = "withdrawn"
    """A final state: the audit stopped before completion."""


# Only final states may be these, and a final state that declares a stage is one of them.
FINAL_STAGES = frozenset({Stage.CLOSED, Stage.WITHDRAWN})
# Where the report (or the agency's response) is written: before sign-off, and after a refusal.
DRAFTING_STAGES = frozenset({Stage.DRAFTING_REPORT, Stage.FURTHER_ASSURANCE})
