"""Who signs a type's report off: each body by kind with its own quorum, and what a refusal does.

The framework's plan records a "date of sign off by learning hub & SSP": both bodies, not any
two people from either. A type lists the bodies whose sign-off it needs (``bodies``), each
with the number of its members who must approve (the author's own decision never counts), and
says whether one refusal sends the report back (``refusal: any``) or each body decides by the
majority of its members who decided (``refusal: majority``). A programme entry may send its
audit's report to other bodies instead (``report_to``, e.g. the performance group).

Audits started before bodies were declared keep the rule their definition snapshot holds:
``roles`` and one ``quorum`` over everyone holding them, refused by any one refusal.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from states.definitions.bodies import MOST_MEMBERS, BodyKind

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


class Refusal(StrEnum):
    """What refusals do: ``any`` sends the report back on one refusal; ``majority`` lets each
    body decide by the majority of its members who decided, once its quorum has decided."""

    ANY = "any"
    MAJORITY = "majority"


class SignOffBody(_Strict):
    """One body whose sign-off the report needs, and how many of its members decide it."""

    # Not strict: YAML gives the kind as its name, which names exactly one member or none.
    kind: BodyKind = Field(
        strict=False,
        description="The directory's kind of body: learning_hub, statutory_partners, "
        "performance_group or subgroup. Every active body of the kind counts its members.",
    )
    quorum: PositiveInt = Field(
        description="Members (never the author) whose approval signs it off for the body; "
        "with refusal: majority, members who must decide before the body's majority counts."
    )

    @field_validator("quorum")
    @classmethod
    def _reachable(cls, quorum: int, info: ValidationInfo) -> int:
        kind = info.data.get("kind")  # absent when the kind itself was refused
        most = None if kind is None else MOST_MEMBERS.get(kind)
        if most is not None and quorum > most:
            raise ValueError(
                f"a quorum of {quorum} can never be reached: {kind} has at most {most} members"
            )
        return quorum


def check_bodies(bodies: list[SignOffBody]) -> None:
    """Each kind of body once: two quorums for one body would be a guess."""
    kinds = [body.kind for body in bodies]
    twice = sorted({kind for kind in kinds if kinds.count(kind) > 1})
    if twice:
        raise ValueError(f"{twice[0]} is named twice; give each body one quorum")


class SignOffDef(_Strict):
    bodies: list[SignOffBody] | None = Field(
        default=None,
        min_length=1,
        description="The bodies whose sign-off the report needs: every one must reach its quorum.",
    )
    refusal: Refusal = Field(
        default=Refusal.ANY,
        strict=False,
        description="any: one refusal sends the report back; majority: each body decides by "
        "the majority of its members who decided.",
    )
    roles: list[Name] | None = Field(
        default=None,
        min_length=1,
        description="Kept for audits started before bodies were declared: roles whose "
        "approval counts towards one quorum. New definitions name bodies.",
    )
    quorum: PositiveInt | None = Field(
        default=None, description="With roles only: how many of them must approve."
    )
    exclude_author: bool = Field(
        default=True, description="The report author's own approval never counts."
    )
    link_expiry_working_days: PositiveInt = 10

    @model_validator(mode="after")
    def _one_rule(self) -> SignOffDef:
        if self.bodies is not None:
            if self.roles is not None or self.quorum is not None:
                raise ValueError(
                    "name the bodies (each with its quorum) or the roles and one quorum, not both"
                )
            check_bodies(self.bodies)
            return self
        if self.roles is None or self.quorum is None:
            raise ValueError("name the bodies that sign off, each with its quorum")
        if self.refusal is not Refusal.ANY:
            raise ValueError("refusal: majority needs bodies, each deciding by its majority")
        return self

    def with_bodies(self, bodies: list[SignOffBody]) -> SignOffDef:
        """The same rule, with the report sent to ``bodies`` instead (a programme entry's)."""
        return self.model_copy(update={"bodies": list(bodies), "roles": None, "quorum": None})
