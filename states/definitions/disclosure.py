"""The disclosure rule an audit type declares for its products: the two thresholds and why
they have floors. How counts are shown under it is ``states.rules.disclosure``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DisclosureRule(BaseModel):
    """How a product shows counts pooled across settings or agencies."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    # The schema's minimums guide editors; the validator below says why, in words.
    min_group: int = Field(
        default=5,
        json_schema_extra={"minimum": 5},
        description="Show no counts that pool fewer answers than this (for a tool completed "
        "once per setting: fewer settings), and no comparison in a letter with fewer others.",
    )
    min_cell: int = Field(
        default=3,
        json_schema_extra={"minimum": 3},
        description="Show a count exactly only when at least this many gave the answer and at "
        "least this many did not; otherwise as a band ('fewer than 3') or merged with the next "
        "answer. Products a setting reads together must band counts alike.",
    )

    @model_validator(mode="after")
    def _protects(self) -> DisclosureRule:
        if self.min_cell < 3:
            raise ValueError(
                "min_cell must be at least 3: with 2, a setting that knows its own answer can "
                "tell that no other setting gave it"
            )
        if self.min_group < 2 * self.min_cell - 1:
            raise ValueError(
                f"min_group must be at least {2 * self.min_cell - 1} (twice min_cell, less "
                "one): in a smaller group the bands themselves give the counts away"
            )
        return self
