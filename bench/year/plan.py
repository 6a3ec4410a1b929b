"""The year's audits, as each partnership's programme would start them.

Fifteen a partnership, of every type: each quarter's effectiveness report, two themed
multi-agency case file audits, a dip sample, the Section 175 self-assessment in the autumn
term, a Section 11 in the new year, the training-impact audit, a deep dive, a scrutiny audit,
a benchmarking exercise, a single-agency exception report and the year's programme review.
Partnerships keep their own diaries, so each one's dates fall a few days after the last's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bench.year.nation import Partnership

YEAR_STARTS = date(2026, 4, 1)
YEAR_ENDS = date(2027, 3, 31)

# (type, theme, month, day): the programme of one partnership.
PROGRAMME: tuple[tuple[str, str, int, int], ...] = (
    ("effectiveness_report", "Quarter 1 effectiveness report", 4, 1),
    ("mace", "Neglect and the graded care profile", 4, 20),
    ("dip_sample", "Strategy discussions", 5, 11),
    ("single_agency_exception", "Single-agency exception", 6, 1),
    ("effectiveness_report", "Quarter 2 effectiveness report", 7, 1),
    ("training_impact", "Neglect training impact", 6, 15),
    ("deep_dive", "Child exploitation deep dive", 7, 13),
    ("section_175", "Section 175/157 self-assessment", 9, 7),
    ("mace", "Domestic abuse and the unborn child", 9, 21),
    ("effectiveness_report", "Quarter 3 effectiveness report", 10, 1),
    ("scrutiny_audit", "Front door scrutiny", 10, 12),
    ("benchmarking", "Neighbour benchmarking", 11, 9),
    ("effectiveness_report", "Quarter 4 effectiveness report", 1, 4),
    ("section_11", "Section 11 self-assessment", 1, 11),
    ("programme_review", "Programme review", 2, 1),
)


@dataclass(frozen=True, order=True)
class Planned:
    on: date
    partnership: int
    audit_type: str
    theme: str


def programme_of(p: Partnership, *, spread_days: int = 20) -> list[Planned]:
    offset = timedelta(days=p.number % spread_days)
    found = []
    for audit_type, theme, month, day in PROGRAMME:
        year = YEAR_STARTS.year + (month < YEAR_STARTS.month)
        on = date(year, month, day) + offset
        found.append(Planned(on, p.number, audit_type, f"{theme} ({p.prefix})"))
    return found


def year_plan(partnerships: int) -> list[Planned]:
    return sorted(a for n in range(partnerships) for a in programme_of(Partnership(n)))
