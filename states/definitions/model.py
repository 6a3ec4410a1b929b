"""Pydantic models of an audit type definition: the neutral form every YAML file becomes.

Only shape is checked here (``extra="forbid"``, names, numbers); rules that span the whole
graph live in ``states.definitions.graph`` so they can report every problem with its place
in the file.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, StringConstraints, model_validator

from states.definitions.disclosure import DisclosureRule
from states.definitions.dissemination import DisseminationDef
from states.definitions.sign_off import SignOffDef
from states.definitions.stage_names import Stage

SCHEMA_VERSION = 1

Name = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$"),
    Field(description="Lower-case letters, digits and underscores, starting with a letter."),
]
Phase = Literal["before", "after", "follow_up"]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]


class Strict(BaseModel):
    # strict: YAML's "yes" or "1" is not silently turned into a boolean or a number.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


class OverdueStep(Strict):
    """An escalation sent a number of working days after a deadline has passed."""

    after_working_days: PositiveInt
    notify: list[Name] = Field(min_length=1, description="Roles to notify.")


class ReminderLadder(Strict):
    before_working_days: list[PositiveInt] = Field(
        default_factory=list, description="Remind this many working days before the deadline."
    )
    on_due_day: bool = True
    remind: list[Name] = Field(min_length=1, description="Roles reminded before and on the day.")
    overdue: list[OverdueStep] = Field(default_factory=list)

    @model_validator(mode="after")
    def _descending(self) -> ReminderLadder:
        days = self.before_working_days
        if days != sorted(set(days), reverse=True):
            raise ValueError("before_working_days must be distinct and in descending order")
        steps = [s.after_working_days for s in self.overdue]
        if steps != sorted(set(steps)):
            raise ValueError(
                "overdue steps must have distinct after_working_days in ascending order"
            )
        return self


class DeadlineDef(Strict):
    """Work owed within a time limit counted from the moment the state is entered."""

    name: Name
    working_days: PositiveInt | None = None
    calendar_days: PositiveInt | None = None
    owed_by: Literal["participants", "sign_off_members", "chair", "action_owners"]
    reminders: ReminderLadder | None = None

    @model_validator(mode="after")
    def _one_measure(self) -> DeadlineDef:
        if (self.working_days is None) == (self.calendar_days is None):
            raise ValueError("give exactly one of working_days or calendar_days")
        return self


class StateDef(Strict):
    name: Name
    title: Text
    description: str = ""
    initial: bool = False
    final: bool = False
    deadline: DeadlineDef | None = None
    phase: Phase | None = Field(
        default=None,
        description="Returns collected in this state answer only this phase of the tool.",
    )
    # Not strict: YAML gives the stage as its name, which names exactly one member or none.
    stage: Stage | None = Field(
        default=None,
        strict=False,
        description="What the state is to the engine: where returns are collected "
        "(collecting_returns), findings moderated (moderating), the report written "
        "(drafting_report, further_assurance) and signed off (signing_off), and so on.",
    )


class TransitionDef(Strict):
    trigger: Name
    title: Text
    source: Literal["*"] | Name | list[Name] = Field(
        description="State name, list of state names, or '*' for every state that is not final."
    )
    dest: Name | None = Field(default=None, description="Omit only for internal transitions.")
    internal: bool = Field(
        default=False, description="Recorded in the history without changing the state."
    )
    roles: list[Name] = Field(min_length=1, description="Roles allowed to fire this trigger.")
    gates: list[Name] = Field(default_factory=list)
    requires_reason: bool = False
    reopens_returns: bool = Field(
        default=False,
        description="Back into a state that collects returns: the returns submitted on its "
        "last visit go back to their agencies as drafts, answers kept, to revise and submit "
        "again (an exception report returned for more detail). Without it the new round "
        "starts with no returns (further evidence is new returns).",
    )

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.source,) if isinstance(self.source, str) else tuple(self.source)


class ImmediateRiskDef(Strict):
    """Framework, "Lessons and actions": concerns about immediate risk or unsafe practice are
    escalated to the agency for a response and assurance."""

    assurance_within_working_days: PositiveInt = 2
    notify: list[Name] = Field(
        default_factory=lambda: ["strategic_lead", "chair"],
        description="Roles told at once: strategic_lead means the named agency's strategic "
        "leads, who read the concern and respond by their own link (or, where it has none, its "
        "agency leads, with the coordinators told too).",
    )


class ProductDef(Strict):
    """A product made from the signed-off summary report for a wider audience."""

    disclosure: DisclosureRule = Field(
        default_factory=DisclosureRule,
        description="How it shows counts pooled across agencies or settings. Omit for the "
        "engine's rule: min_group 5, min_cell 3.",
    )


class ProductsDef(Strict):
    """The products made from the signed-off summary report. Each shows counts pooled across
    agencies or settings only under its disclosure rule. The summary report itself is not a
    product: it is the learning hub's record, read by the organisers and the bodies that sign
    it off, and names each agency's figures with exact counts (moderation and accountability
    need them; no case is named)."""

    briefing: ProductDef = Field(default_factory=ProductDef, description="7-minute briefing.")
    learning_on_a_page: ProductDef = Field(
        default_factory=ProductDef, description="Practitioner learning on a page."
    )
    feedback_letter: ProductDef = Field(
        default_factory=ProductDef,
        description="A letter to each setting in a deep dive: its own ratings beside the other "
        "settings' (the reader is left out of the comparison).",
    )
    summary_to_all: ProductDef = Field(
        default_factory=ProductDef,
        description="The summary findings report to every setting that took part.",
    )

    def rule(self, kind: str) -> DisclosureRule:
        if kind not in type(self).model_fields:
            raise KeyError(kind)
        product: ProductDef = getattr(self, kind)
        return product.disclosure

    @model_validator(mode="after")
    def _banded_alike(self) -> ProductsDef:
        # A setting reads every product: two bandings of the same counts, side by side, can
        # show what neither shows alone. Only the group sizes may differ between products.
        cells = {kind: self.rule(kind).min_cell for kind in type(self).model_fields}
        if len(set(cells.values())) > 1:
            found = ", ".join(f"{kind} {cell}" for kind, cell in cells.items())
            raise ValueError(
                f"every product must use the same min_cell ({found}): one setting reads them "
                "all, and two bandings of the same counts together show more than either"
            )
        return self


class DeepDiveDef(Strict):
    """How a self-assessment round takes its deep-dive sample of submitted returns: every
    return with any answer graded ``rated``, and a share of the others drawn at random
    (seeded and recorded, so the draw can be shown and repeated)."""

    rated: Name = Field(
        description="Every return with any answer of this grade is taken: a grade value of "
        "the tool's scales, e.g. red."
    )
    percent_of_rest: int = Field(
        ge=0, le=100, description="The share of the other returns also taken, rounded up."
    )


class AuditTypeDefinition(Strict):
    schema_version: Literal[1]
    audit_type: Name
    title: Text
    description: Text
    framework_reference: Text = Field(description="Where the framework describes this audit.")
    tool: Name = Field(description="Name of the audit tool (definitions/tools/NAME.yaml).")
    roles: list[Name] = Field(min_length=1)
    case_window_months: PositiveInt | None = None
    sign_off: SignOffDef | None = None
    link_expiry_working_days: PositiveInt = Field(
        default=10,
        description="Return and assurance links stop working this many working days after "
        "the deadline they serve.",
    )
    immediate_risk: ImmediateRiskDef | None = Field(
        default=None, description="Omit for the engine's default (2 working days; lead, chair)."
    )
    action_reminders: ReminderLadder | None = Field(
        default=None,
        description="When each action's owner agency is reminded of its due date, and who is "
        "told once it is overdue. Omit for the engine's default (10, 5 and 1 working days "
        "before and on the day to the agency's leads; overdue after 2 to them, after 5 to the "
        "strategic lead and the chair).",
    )
    products: ProductsDef = Field(
        default_factory=ProductsDef,
        description="How each product of the signed-off summary report shows counts pooled "
        "across agencies or settings. Omit a product for the engine's rule (min_group 5, "
        "min_cell 3).",
    )
    deep_dive: DeepDiveDef | None = Field(
        default=None,
        description="The rule the deep-dive sample of returns is drawn by. Without one (or "
        "instead of it) the coordinator or chair names the settings by hand.",
    )
    dissemination: DisseminationDef | None = Field(
        default=None,
        description="What the type must share, and by which channels, before the way out of "
        "its disseminating state (gated by dissemination_recorded). Required of a type with a "
        "disseminating state; an audit started before types declared it requires nothing.",
    )
    raised_by_agency: bool = Field(
        default=False,
        description="An agency lead may start one for their own agency (framework s.5: "
        "agencies report to the partnership by exception), and the learning hub's members "
        "are told at once whoever starts it.",
    )
    states: list[StateDef] = Field(min_length=2)
    transitions: list[TransitionDef] = Field(min_length=1)

    def state(self, name: str) -> StateDef:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(name)

    @property
    def initial_state(self) -> str:
        return next(s.name for s in self.states if s.initial)

    @property
    def final_states(self) -> frozenset[str]:
        return frozenset(s.name for s in self.states if s.final)

    def canonical_json(self) -> str:
        return self.model_dump_json(exclude_defaults=False)

    def content_hash(self) -> str:
        """Version of the definition: comments and layout in the YAML do not change it."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def definition_json_schema() -> str:
    """The JSON schema editors use to check audit type YAML as it is typed (committed)."""
    import json

    schema = AuditTypeDefinition.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "oscp-audit-type.schema.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
