"""The audit programme as validated data: the framework's plan table, one entry per row.

The file is read by the same safe YAML reader as the audit types and fails the same way: every
problem with its file, path and line, before anything is stored. Entries name their audit type,
so the check needs the names the catalogue knows; it is given them rather than loading the
catalogue itself, which keeps this module free of the definitions folder.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from states.definitions.loader import _validated
from states.definitions.model import Name, Strict
from states.definitions.sign_off import SignOffBody, check_bodies
from states.definitions.yaml_source import PathPart, parse_yaml, read_yaml

_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Outside these a year is a typo (25 for 2025), not a plan.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _key(value: str) -> str:
    if not _KEY.match(value):
        raise ValueError(
            "keys use lower-case letters and digits joined by hyphens, e.g. 'sexual-abuse-mace'"
        )
    return value


def _month(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 12:
        raise ValueError(f"month {value} is not a month; write 1 (January) to 12 (December)")
    return value


def _year(value: int | None) -> int | None:
    if value is not None and not FIRST_YEAR <= value <= LAST_YEAR:
        raise ValueError(f"year {value} is not a year; write it in full, e.g. 2026")
    return value


# Lengths match the database columns, so a file that loads here also fits there.
Key = Annotated[str, StringConstraints(min_length=1, max_length=63), AfterValidator(_key)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# Cells the framework leaves empty in some rows (rationale, sign-off, impact) may be "".
Cell = Annotated[str, StringConstraints(max_length=2000)]
Item = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Month = Annotated[int | None, AfterValidator(_month)]
Year = Annotated[int | None, AfterValidator(_year)]
Recurrence = Literal["quarterly", "annual"]
# How far apart the times round of recurring work are.
EVERY_MONTHS: dict[str, int] = {"quarterly": 3, "annual": 12}


class Due(Strict):
    """When an entry falls due, as far as its timeframe says: the month it names (the last
    month of a range), and whether it comes round again."""

    year: Year = None
    month: Month = None
    recurring: Recurrence | None = Field(default=None, description="For 'Quarterly' rows.")

    @model_validator(mode="after")
    def _something_said(self) -> Due:
        if self.month is not None and self.year is None:
            raise ValueError("a due month needs its year")
        if self.year is None and self.recurring is None:
            raise ValueError("give a year (and month), or write 'due: null' when none is known")
        return self


class Calendar(Strict):
    """Recurring work the worker starts by itself: each occurrence on the first day of the
    month ``starts_months_before_due`` months before the month it is due."""

    starts_months_before_due: int = Field(
        ge=0, le=11, description="0 starts it on the first day of the month it is due."
    )


class Period(Strict):
    starts: date = Field(alias="from")
    ends: date = Field(alias="to")

    @model_validator(mode="after")
    def _in_order(self) -> Period:
        if self.starts >= self.ends:
            raise ValueError("the period's 'from' date must be before its 'to' date")
        return self


class ProgrammeEntryDef(Strict):
    key: Key = Field(description="Stable: an audit started for the entry is linked by it.")
    timeframe: Short = Field(
        description="As the framework writes it, e.g. 'Report to Partnership Nov 25'."
    )
    due: Due | None = Field(description="null when the timeframe names no month ('TBC').")
    theme: Item
    audit_type: Name = Field(description="An audit type in definitions/audit_types/.")
    rationale: Cell
    evidence: list[Item] = Field(description="What the audit is measured against.")
    report_author: Short
    sign_off: Cell = Field(description="Sign-off by the learning hub and statutory partners.")
    impact_monitoring: Cell
    report_to: list[SignOffBody] | None = Field(
        default=None,
        min_length=1,
        description="The bodies the entry's audit reports to for sign-off instead of its "
        "type's (the plan sends the FGM and front-door deep dives to the performance group), "
        "each with its quorum.",
    )
    calendar: Calendar | None = Field(
        default=None,
        description="Started by the worker each time it comes round; without it, by a person.",
    )

    @model_validator(mode="after")
    def _each_body_once(self) -> ProgrammeEntryDef:
        if self.report_to is not None:
            check_bodies(self.report_to)
        return self

    @model_validator(mode="after")
    def _calendar_recurs(self) -> ProgrammeEntryDef:
        if self.calendar is None:
            return self
        due = self.due
        if due is None or due.month is None or due.recurring is None:
            raise ValueError(
                "only recurring work is started by the calendar: give 'due' a year, a month "
                "and 'recurring', or remove 'calendar'"
            )
        if self.calendar.starts_months_before_due >= EVERY_MONTHS[due.recurring]:
            raise ValueError(
                f"{due.recurring} work must start less than {EVERY_MONTHS[due.recurring]} "
                "months before it is due, or each time round would start before the last is due"
            )
        return self


class ProgrammeDefinition(Strict):
    schema_version: Literal[1]
    programme: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    period: Period
    entries: list[ProgrammeEntryDef] = Field(min_length=1)


Found = list[tuple[tuple[PathPart, ...], str]]


def check_programme(programme: ProgrammeDefinition, *, known_types: Collection[str]) -> Found:
    """Rules across entries: each key once, each audit type one the catalogue has."""
    problems: Found = []
    seen: set[str] = set()
    for i, entry in enumerate(programme.entries):
        if entry.key in seen:
            problems.append((("entries", i, "key"), f"key '{entry.key}' is used twice"))
        seen.add(entry.key)
        if entry.audit_type not in known_types:
            problems.append(
                (
                    ("entries", i, "audit_type"),
                    f"there is no audit type called '{entry.audit_type}'; "
                    f"use one of: {', '.join(sorted(known_types))}",
                )
            )
    return problems


def load_programme_file(path: Path, *, known_types: Collection[str]) -> ProgrammeDefinition:
    return _validated(
        read_yaml(path),
        ProgrammeDefinition,
        lambda model: check_programme(model, known_types=known_types),
    )


def load_programme_text(
    text: str, name: str, *, known_types: Collection[str]
) -> ProgrammeDefinition:
    """For programmes that arrive as text (tests, uploads)."""
    return _validated(
        parse_yaml(text, name),
        ProgrammeDefinition,
        lambda model: check_programme(model, known_types=known_types),
    )
