"""Section 175's deep dive: the sample of submitted returns tested against their evidence,
and each sampled setting's individual feedback (framework 6.2: "a deep dive analysis is
completed for a sample of returns, with individual feedback provided to these settings").

The sample is taken while the audit is at its deep dive (a ``moderating`` state), either by
the rule the audit type declares (``deep_dive:`` every return with a grade, plus a share of
the rest at random) or by the coordinator or chair naming the settings. Either way the draw is
recorded like any sample; taking it again replaces it, with a reason in the history. Feedback
is recorded while the audit is giving feedback (a ``giving_feedback`` state), one text per
sampled setting; recording it again replaces the earlier text. An audit with no deep dive
(Section 11: "feedback to each agency") records the same for every agency that returned.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Connection, exists, insert, select, update

from states.definitions.model import DeepDiveDef
from states.definitions.stage_names import Stage
from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.persistence.facts import feedback_owed
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.persistence.vocabulary import ReturnStatus
from states.rules.policy import Permission
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.returns import tool_for
from states.services.sampling import Draw, record_draw
from states.services.work import write_to_audit

__all__ = [
    "FEEDBACK_LIMIT",
    "choose_deep_dive",
    "deep_dive_setting",
    "feedback_setting",
    "letter_setting",
    "record_feedback",
    "select_deep_dive",
]

# A letter's worth of feedback; a longer file is almost certainly the wrong file.
FEEDBACK_LIMIT = 10_000


def select_deep_dive(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    rated: str | None = None,
    percent_of_rest: int | None = None,
    seed: int | None = None,
    reason: str | None = None,
) -> Draw:
    """The deep dive by the type's declared rule: every submitted return with any rating of
    the rule's grade, plus its share of the rest at random. ``rated`` and ``percent_of_rest``
    stand in for the rule's values when given (rehearsals try other shares)."""
    if percent_of_rest is not None and not 0 <= percent_of_rest <= 100:
        raise InvalidInput("The share of the other returns is a percentage from 0 to 100.")
    seed = secrets.randbelow(2**31) if seed is None else seed

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> Draw:
        store = AuditStore(uow.connection)
        declared = compiled_for(deps, store, row).definition.deep_dive
        grade, share = _rule(row, declared, rated, percent_of_rest)
        ratings = _rating_questions(deps, store, row, grade)
        returns = _submitted_returns(uow.connection, row.id, grade, ratings)
        flagged = [code for code, hit in returns if hit]
        rest = [code for code, hit in returns if not hit]
        taken = math.ceil(len(rest) * share / 100)
        chosen = sorted(flagged + random.Random(seed).sample(rest, taken))  # noqa: S311
        draw = Draw("deep_dive", seed, len(chosen), chosen)
        _take(
            uow, row, who, now, draw, rule=f"every return rated {grade} plus {share}% of the rest"
        )
        return draw

    return _write(deps, audit, actor, work, reason)


def choose_deep_dive(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    settings: Sequence[str],
    reason: str | None = None,
) -> Draw:
    """The deep dive chosen by hand: the settings named, each with a submitted return."""
    named = sorted({code.strip() for code in settings if code.strip()})
    if not named:
        raise InvalidInput("Name at least one setting for the deep dive, by its code.")

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> Draw:
        submitted = {code for code, _ in _submitted_returns(uow.connection, row.id)}
        missing = [code for code in named if code not in submitted]
        if missing:
            raise InvalidInput(
                f"Audit {row.reference} has no submitted return from {', '.join(missing)}; "
                "the deep dive takes only settings that returned their self-assessment."
            )
        draw = Draw("deep_dive", None, len(named), named)
        _take(uow, row, who, now, draw, rule="chosen by hand")
        return draw

    return _write(deps, audit, actor, work, reason)


def record_feedback(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, agency: str, summary: str
) -> bool:
    """Individual feedback to a setting sampled for the deep dive (or, on an audit with no
    deep dive, to an agency that returned: Section 11); True when it replaced feedback
    recorded before."""
    if not summary.strip():
        raise InvalidInput("Write the feedback to the setting.")
    if len(summary) > FEEDBACK_LIMIT:
        raise InvalidInput(
            f"The feedback is {len(summary):,} characters; keep it to {FEEDBACK_LIMIT:,}."
        )

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> bool:
        _require_stage(deps, uow, row, Stage.GIVING_FEEDBACK, "feedback to sampled settings")
        agency_id = feedback_setting(uow.connection, row.id, agency)
        values = {"summary": summary, "recorded_by": who.id, "recorded_at": now}
        replaced = uow.connection.execute(
            update(t.feedback)
            .where(t.feedback.c.audit_id == row.id, t.feedback.c.agency_id == agency_id)
            .values(**values)
        ).rowcount
        if not replaced:
            uow.connection.execute(
                insert(t.feedback), {"audit_id": row.id, "agency_id": agency_id, **values}
            )
        return bool(replaced)

    return write_to_audit(deps, audit, actor, "record_feedback", may=Permission.ORGANISE, work=work)


def deep_dive_setting(connection: Connection, audit_id: int, code: str) -> int:
    """The id of a setting in the audit's deep-dive sample, or NotFound."""
    found = connection.execute(
        select(t.participation.c.agency_id)
        .join(t.agency, t.agency.c.id == t.participation.c.agency_id)
        .where(
            t.participation.c.audit_id == audit_id,
            t.agency.c.code == code,
            t.participation.c.deep_dive.is_(True),
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("deep-dive setting", code)
    return int(found)


def feedback_setting(connection: Connection, audit_id: int, code: str) -> int:
    """The id of an agency owed individual feedback on the audit (``facts.feedback_owed``):
    in the deep-dive sample where one was taken, else any agency that returned; or NotFound."""
    found = connection.execute(
        select(t.participation.c.agency_id)
        .join(t.agency, t.agency.c.id == t.participation.c.agency_id)
        .where(t.participation.c.audit_id == audit_id, t.agency.c.code == code, feedback_owed())
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(
            "deep-dive setting" if _sampled(connection, audit_id) else "returning agency", code
        )
    return int(found)


def letter_setting(connection: Connection, audit_id: int, code: str) -> int:
    """The id of a setting or agency a feedback letter may be written to: in the deep-dive
    sample, or given individual feedback (Section 11's agencies); or NotFound."""
    p = t.participation
    given = exists().where(
        t.feedback.c.audit_id == p.c.audit_id, t.feedback.c.agency_id == p.c.agency_id
    )
    found = connection.execute(
        select(p.c.agency_id)
        .join(t.agency, t.agency.c.id == p.c.agency_id)
        .where(p.c.audit_id == audit_id, t.agency.c.code == code)
        .where(p.c.deep_dive.is_(True) | given)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("deep-dive setting or agency given feedback", code)
    return int(found)


def _rule(
    row: AuditRow, declared: DeepDiveDef | None, rated: str | None, percent: int | None
) -> tuple[str, int]:
    """The declared rule, with any value the caller gave in its place."""
    if declared is not None:
        rated = declared.rated if rated is None else rated
        percent = declared.percent_of_rest if percent is None else percent
    if rated is None or percent is None:
        raise InvalidInput(
            f"Audit {row.reference}'s type declares no rule for the deep dive; name the "
            "settings to take instead."
        )
    return rated, percent


Take = Callable[[UnitOfWork, AuditRow, Actor, datetime], Draw]


def _write(deps: Deps, audit: AuditKey, actor: PersonKey, take: Take, reason: str | None) -> Draw:
    """Only at the deep dive; taking it again replaces it, and the history says why."""

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> Draw:
        _require_stage(deps, uow, row, Stage.MODERATING, "deep dive")
        if _sampled(uow.connection, row.id) and not (reason and reason.strip()):
            raise InvalidInput(
                f"Audit {row.reference} already has its deep dive sample; say why it is being "
                "replaced."
            )
        return take(uow, row, who, now)

    return write_to_audit(
        deps, audit, actor, "select_deep_dive", may=Permission.ORGANISE, work=work, reason=reason
    )


def _require_stage(deps: Deps, uow: UnitOfWork, row: AuditRow, stage: Stage, doing: str) -> None:
    state = compiled_for(deps, AuditStore(uow.connection), row).definition.state(row.state)
    if state.stage is not stage:
        raise InvalidInput(
            f"Audit {row.reference} is at {state.title}, not at its {doing}; this is done "
            f"only while it is at the {doing}."
        )


def _take(
    uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime, draw: Draw, *, rule: str
) -> None:
    """Marks the drawn settings (and only them) as the deep dive and records the draw."""
    if not draw.chosen:
        raise InvalidInput(f"Audit {row.reference} has no submitted returns to sample.")
    c, p = uow.connection, t.participation
    c.execute(update(p).where(p.c.audit_id == row.id).values(deep_dive=False))
    chosen = select(t.agency.c.id).where(t.agency.c.code.in_(draw.chosen))
    c.execute(
        update(p).where(p.c.audit_id == row.id, p.c.agency_id.in_(chosen)).values(deep_dive=True)
    )
    record_draw(c, row, who, now, draw, rule=rule)


def _sampled(connection: Connection, audit_id: int) -> bool:
    p = t.participation
    taken = select(p.c.id).where(p.c.audit_id == audit_id, p.c.deep_dive.is_(True))
    return connection.execute(taken.limit(1)).first() is not None


def _rating_questions(deps: Deps, store: AuditStore, row: AuditRow, grade: str) -> list[str]:
    """The tool's rating questions; the grade must be one of their scales' (a typo in the
    rule or the command would otherwise take no return at all)."""
    tool = tool_for(deps, store, row)
    questions = [q for _, q in tool.questions() if q.type == "rating"]
    grades = {g.value for q in questions for g in tool.scales[q.scale or ""].grades}
    if grade not in grades:
        raise InvalidInput(
            f"'{grade}' is not a grade of audit {row.reference}'s tool; its grades are "
            f"{', '.join(sorted(grades))}."
        )
    return [q.id for q in questions]


def _submitted_returns(
    connection: Connection, audit_id: int, rated: str | None = None, among: Sequence[str] = ()
) -> list[tuple[str, bool]]:
    """(setting code, any of the questions ``among`` answered ``rated``) for each setting
    with a submitted return."""
    a = t.answer
    flagged = exists().where(
        a.c.return_id == t.audit_return.c.id, a.c.value == rated, a.c.question_id.in_(among)
    )
    rows = connection.execute(
        select(t.agency.c.code, flagged)
        .join(t.audit_return, t.audit_return.c.agency_id == t.agency.c.id)
        .where(
            t.audit_return.c.audit_id == audit_id,
            t.audit_return.c.status == ReturnStatus.SUBMITTED,
        )
        .order_by(t.agency.c.code)
    )
    # A setting with a return in more than one round is one setting, flagged by any of them.
    found: dict[str, bool] = {}
    for code, hit in rows:
        found[code] = found.get(code, False) or bool(hit)
    return list(found.items())
