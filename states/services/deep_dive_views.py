"""What the deep-dive page shows the chair or coordinator choosing Section 175's sample: every
setting that returned its self-assessment, with how it rated itself; the rule the audit type
declares; the sample taken so far and how it was taken.

Reading it is the organisers' (``Permission.ORGANISE``), as taking the sample is: a setting's
own ratings beside the others' are for those who run the audit, never for another setting.
Ratings are counted from each setting's submitted returns of the last round it submitted in,
the answers the deep dive's rule tests.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from states.clock import as_utc
from states.definitions.stage_names import Stage
from states.definitions.tool import ToolDefinition
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditRow, AuditStore
from states.persistence.vocabulary import ReturnStatus
from states.services.audit_access import organised_audit
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.returns import tool_for

DEEP_DIVE = "deep_dive"  # the sample table's method for a deep-dive draw


@dataclass(frozen=True)
class GradeChoice:
    value: str
    label: str


@dataclass(frozen=True)
class ReturnedSetting:
    code: str
    name: str
    ratings: tuple[tuple[str, int], ...]  # (grade label, how many standards), best first
    sampled: bool  # in the deep-dive sample now


@dataclass(frozen=True)
class SampleTaken:
    rule: str  # "chosen by hand" or the rule the draw followed
    seed: int | None  # a draw by the rule's, which draws the same sample again
    by: str
    at: datetime


@dataclass(frozen=True)
class DeepDiveView:
    reference: str
    stage_title: str
    open: bool  # at its deep dive, when the sample is taken
    rated: str | None  # the declared rule: every setting with a rating of this grade ...
    percent_of_rest: int | None  # ... and this share of the rest, at random
    grades: tuple[GradeChoice, ...]  # the tool's rating grades, best first
    settings: tuple[ReturnedSetting, ...]
    taken: SampleTaken | None  # the last time the sample was taken

    @property
    def chosen(self) -> tuple[ReturnedSetting, ...]:
        return tuple(s for s in self.settings if s.sampled)

    def grade_label(self, value: str | None) -> str:
        return next((g.label for g in self.grades if g.value == value), value or "")


def at_stage(deps: Deps, store: AuditStore, row: AuditRow, stage: Stage) -> tuple[bool, str]:
    """Whether the audit is at a state of ``stage``, and its state's title."""
    state = compiled_for(deps, store, row).definition.state(row.state)
    return state.stage is stage, state.title


def deep_dive_of(deps: Deps, *, audit: AuditKey, viewer: PersonKey) -> DeepDiveView:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = organised_audit(deps, store, audit, viewer, "read its deep dive")
        is_open, title = at_stage(deps, store, row, Stage.MODERATING)
        rule = compiled_for(deps, store, row).definition.deep_dive
        tool = tool_for(deps, store, row) if row.tool_hash is not None else None
        grades = _grades(tool)
        settings = _returned(uow.connection, row.id, tool, grades)
        taken = _taken(uow.connection, row.id)
    return DeepDiveView(
        row.reference,
        title,
        is_open,
        rule.rated if rule else None,
        rule.percent_of_rest if rule else None,
        grades,
        settings,
        taken,
    )


def _grades(tool: ToolDefinition | None) -> tuple[GradeChoice, ...]:
    """The grades of the tool's rating questions, each once, best first."""
    if tool is None:
        return ()
    found: dict[str, str] = {}
    for _, question in tool.questions():
        if question.type == "rating":
            for grade in tool.scales[question.scale or ""].grades:
                found.setdefault(grade.value, grade.label)
    return tuple(GradeChoice(value, label) for value, label in found.items())


def _returned(
    c: Connection, audit_id: int, tool: ToolDefinition | None, grades: Sequence[GradeChoice]
) -> tuple[ReturnedSetting, ...]:
    """Each setting with a submitted return, by name, with its last round's ratings."""
    r, p, g = t.audit_return, t.participation, t.agency
    rows = c.execute(
        select(g.c.code, g.c.name, p.c.deep_dive, r.c.round, r.c.id)
        .join(r, r.c.agency_id == g.c.id)
        .join(p, (p.c.agency_id == g.c.id) & (p.c.audit_id == r.c.audit_id))
        .where(r.c.audit_id == audit_id, r.c.status == ReturnStatus.SUBMITTED)
        .order_by(g.c.name, g.c.code, r.c.round)
    ).all()
    # code -> (its last round with a submitted return, that round's returns); a per-case
    # tool gives an agency several returns a round.
    last: dict[str, tuple[int, list[int]]] = {}
    for code, _, _, round_, return_id in rows:
        kept = last.get(code)
        if kept is None or round_ > kept[0]:
            last[code] = (int(round_), [int(return_id)])
        elif round_ == kept[0]:
            kept[1].append(int(return_id))
    counted = _counts(c, [i for _, ids in last.values() for i in ids], tool)
    about = {code: (name, bool(sampled)) for code, name, sampled, _, _ in rows}
    settings = []
    for code, (_, ids) in last.items():
        counts = sum((counted.get(i, Counter()) for i in ids), Counter[str]())
        ratings = tuple(
            (grade.label, counts[grade.value]) for grade in grades if counts[grade.value]
        )
        settings.append(ReturnedSetting(code, about[code][0], ratings, about[code][1]))
    return tuple(settings)


def _counts(
    c: Connection, return_ids: Sequence[int], tool: ToolDefinition | None
) -> dict[int, Counter[str]]:
    """How many of each return's rating questions were answered with each grade."""
    if tool is None or not return_ids:
        return {}
    rating = [q.id for _, q in tool.questions() if q.type == "rating"]
    a = t.answer
    rows = c.execute(
        select(a.c.return_id, a.c.value).where(
            a.c.return_id.in_(return_ids), a.c.question_id.in_(rating)
        )
    )
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for return_id, value in rows:
        counts[int(return_id)][str(value)] += 1
    return dict(counts)


def _taken(c: Connection, audit_id: int) -> SampleTaken | None:
    s = t.sample
    found = c.execute(
        select(s.c.rule, s.c.seed, t.person.c.name, s.c.selected_at)
        .join(t.person, t.person.c.id == s.c.selected_by)
        .where(s.c.audit_id == audit_id, s.c.method == DEEP_DIVE)
        .order_by(s.c.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    rule, seed, by, at = found
    return SampleTaken(str(rule or ""), None if seed is None else int(seed), by, as_utc(at))
