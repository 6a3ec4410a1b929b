"""Ten years of a partnership's audit programme, lived through the engine's services.

For ``bench.pages``: the board and the audit pages must stay quick with a decade of closed
audits behind them, so the history is made as a partnership would make it, not bulk inserted.

- Programmes: the 2025-28 plan (``definitions/programme``), and the three before it
  (2016-19, 2019-22, 2022-25) as copies of it moved back three, six and nine years, under
  their own names with the same keys, as a partnership reuses its plan's rows.
- Audits: each programme's one-off entries, started three months before they fall due (an
  entry with no date, half-way through its programme; the current plan's is left for the
  benchmark's big MACE); every time round of its recurring work (each quarter's
  effectiveness report, each year's training-impact audit and programme review), started
  on the day its calendar says; and, outside the plan, each year's Section 175/157
  self-assessment, a dip sample and a single-agency feedback audit, and a Section 11
  self-assessment every other year. About fourteen audits a year, of every type.
- Each audit's life: started on its day, then one step of its cycle every one to three
  weeks (weekdays), each step what ``oscp_flow.rehearsal.walkthrough`` does before each
  transition (cases, auditors, returns, moderation, report, sign-off, actions, sharing)
  and the transition itself; the chair confirms the findings all at once (the moderation
  page's "confirm all", ``oscp findings confirm``), not one by one as the walkthrough does,
  which would be most of the history's cost. Time runs for all audits at once, on the
  engine's one clock, up to "now": older audits are closed, the latest are wherever their
  pace has brought them, with their deadlines met, missed or still running.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from oscp_flow.rehearsal.demo import email
from oscp_flow.rehearsal.walkthrough import Walker
from oscp_flow.settings import PROJECT_ROOT
from states.clock import LONDON, FakeClock
from states.persistence import tables as t
from states.rules.recurrence import Recurrence
from states.services import audits, findings, moderation, programme
from states.services.deps import Deps
from states.services.finding_views import FindingFilter

PLAN = PROJECT_ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"
HISTORY_FROM = date(2016, 4, 1)
YEARS_BACK = (9, 6, 3)  # the programmes before 2025-28
LEAD_MONTHS = 3  # a one-off entry's audit starts this long before it falls due
STEP_DAYS = (7, 21)  # days between two steps: a MACE takes about six months
DIP_SAMPLES = (
    "Strategy discussions",
    "Missing from home",
    "Neglect: graded care profile",
    "Child protection conferences",
    "Private fostering",
)
Tick = Callable[[date], None]  # told each day the history reaches


@dataclass(frozen=True, order=True)
class Planned:
    """One audit to start: its day, type and theme, and its programme entry if it has one."""

    on: date
    audit_type: str
    theme: str
    key: str | None = None
    programme: str | None = None


@dataclass
class Lived:
    """What the history made."""

    audits: int = 0
    states: Counter[str] = field(default_factory=Counter)
    steps: int = 0


def at_half_past_nine(day: date) -> datetime:
    return datetime.combine(day, time(9, 30), LONDON).astimezone(UTC)


def moved_back(plan: dict[str, Any], years: int) -> dict[str, Any]:
    """The plan as a programme ``years`` earlier: its name, period and due dates moved."""
    start, end = plan["period"]["from"], plan["period"]["to"]
    first, last = start.year - years, end.year - years
    entries = []
    for entry in plan["entries"]:
        moved = dict(entry)
        if entry["due"] is not None and entry["due"].get("year") is not None:
            moved["due"] = {**entry["due"], "year": entry["due"]["year"] - years}
        entries.append(moved)
    return {
        **plan,
        "programme": f"OSCP audit programme {first}-{last % 100:02d}",
        "period": {"from": start.replace(year=first), "to": end.replace(year=last)},
        "entries": entries,
    }


def programmes() -> list[dict[str, Any]]:
    plan = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    return [moved_back(plan, years) for years in YEARS_BACK] + [plan]


def load_programmes(deps: Deps, plans: list[dict[str, Any]], folder: Path) -> None:
    for plan in plans:
        path = folder / f"{plan['programme'].replace(' ', '-')}.yaml"
        path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
        programme.load_programme(deps, path)


def from_programme(plan: dict[str, Any], until: date, current: bool) -> Iterator[Planned]:
    """Each entry's audits that have started by ``until``."""
    name, period = plan["programme"], plan["period"]
    for entry in plan["entries"]:
        due, kind = entry["due"], entry["audit_type"]
        theme = " ".join(entry["theme"].split())[:120]
        if due is not None and due.get("recurring") is not None:
            recurrence = Recurrence.of(
                year=due["year"],
                month=due["month"],
                recurring=due["recurring"],
                starts_months_before_due=(entry.get("calendar") or {}).get(
                    "starts_months_before_due"
                ),
                until=period["to"],
            )
            n = 0
            while (round_ := recurrence.nth(n)).starts_on <= min(until, period["to"]):
                yield Planned(round_.starts_on, kind, theme, entry["key"], name)
                n += 1
            continue
        if due is None:
            if current:
                continue  # "TBC" in the plan being run: left for the benchmark's MACE
            on = period["from"] + timedelta(days=540)
        else:
            month = due["year"] * 12 + due["month"] - 1 - LEAD_MONTHS
            on = max(date(month // 12, month % 12 + 1, 1), period["from"])
        if on <= until:
            yield Planned(on, kind, theme, entry["key"], name)


def outside_programme(until: date) -> Iterator[Planned]:
    """The partnership's yearly work that its plan table does not list."""
    for year in range(HISTORY_FROM.year, until.year + 1):
        label = f"{year}-{(year + 1) % 100:02d}"
        yield Planned(date(year, 9, 8), "section_175", f"Section 175/157 self-assessment {label}")
        yield Planned(date(year, 5, 12), "dip_sample", DIP_SAMPLES[year % len(DIP_SAMPLES)])
        yield Planned(
            date(year, 10, 6), "single_agency_exception", f"Single-agency feedback {label}"
        )
        if year % 2:
            yield Planned(date(year, 1, 12), "section_11", f"Section 11 self-assessment {year}")


def planned(plans: list[dict[str, Any]], until: date) -> list[Planned]:
    found = [
        p
        for i, plan in enumerate(plans)
        for p in from_programme(plan, until, current=i == len(plans) - 1)
    ]
    found += outside_programme(until)
    return sorted(p for p in found if HISTORY_FROM <= p.on <= until)


def start(deps: Deps, plan: Planned) -> str:
    if plan.key is not None:
        return programme.start_from_programme(
            deps,
            key=plan.key,
            programme=plan.programme,
            lead=email("chair"),
            actor=email("coordinator"),
        ).reference
    return audits.start_audit(
        deps,
        audit_type=plan.audit_type,
        theme=plan.theme,
        lead=email("chair"),
        actor=email("coordinator"),
    ).reference


class Confirming(Walker):
    """The walkthrough, with the findings confirmed in one go by the chair."""

    def _moderate_findings(self) -> None:
        if not findings.list_findings(self.deps, audit=self.reference):
            findings.record_finding(
                self.deps,
                audit=self.reference,
                actor=email("chair"),
                kind="strength",
                summary="Timely information sharing at the front door",
            )
        moderation.confirm_findings(
            self.deps, audit=self.reference, actor=email("chair"), shown=FindingFilter()
        )


def life(deps: Deps, plan: Planned) -> Iterator[None]:
    """Started, then one transition of the audit's own cycle per step, to its end."""
    reference = start(deps, plan)
    yield
    walker = Confirming(deps, reference, plan.on)
    for _ in walker.walk(deps.catalogue.current(plan.audit_type).definition):
        yield


def weekday_after(instant: datetime, days: int) -> datetime:
    later = instant + timedelta(days=days)
    while later.astimezone(LONDON).weekday() >= 5:
        later += timedelta(days=1)
    return later


def live(deps: Deps, clock: FakeClock, plans: list[Planned], until: datetime, tick: Tick) -> Lived:
    """Every audit's life, step by step in the order of the clock, up to ``until``."""
    rng = random.Random(2016)
    lived = Lived()
    waiting: list[tuple[datetime, int, Iterator[None]]] = [
        (at_half_past_nine(p.on), n, life(deps, p)) for n, p in enumerate(plans)
    ]
    heapq.heapify(waiting)
    while waiting and waiting[0][0] <= until:
        instant, n, steps = heapq.heappop(waiting)
        clock.set(instant)
        tick(instant.astimezone(LONDON).date())
        if next(steps, StopIteration) is StopIteration:
            continue
        lived.steps += 1
        heapq.heappush(waiting, (weekday_after(instant, rng.randint(*STEP_DAYS)), n, steps))
    clock.set(until)
    lived.audits = len(plans)
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.audit.c.state, func.count()).group_by(t.audit.c.state)
        )
        lived.states.update({state: count for state, count in rows})
    return lived


def history_counts(deps: Deps) -> str:
    """Rows of the kinds the pages read, across every audit."""
    tables = {
        "events": t.event,
        "deadlines": t.deadline,
        "returns": t.audit_return,
        "findings": t.finding,
        "actions": t.action,
        "cases": t.case,
    }
    with deps.uow(readonly=True) as uow:
        counts = {
            name: uow.connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in tables.items()
        }
    return ", ".join(f"{n:,} {name}" for name, n in counts.items())
