"""The programme in the database, on SQLite and PostgreSQL: loading is idempotent, rewording
keeps links, and an audit started from an entry is linked to it exactly once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from states.errors import DefinitionError, InvalidInput, NotFound, PermissionDenied
from states.persistence import tables as t
from states.rules.themes import short_theme
from states.services import audits
from states.services.deps import Deps
from states.services.programme import (
    LoadResult,
    link_audit,
    list_entries,
    load_programme,
    start_from_programme,
)
from tests.conftest import ROOT
from tests.support.partnership import email

PROGRAMME = ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"
NAME = "OSCP audit programme 2025-28"
COORDINATOR = email("coordinator")
CHAIR = email("chair")


def copy_with(tmp_path: Path, old: str, new: str) -> Path:
    text = PROGRAMME.read_text(encoding="utf-8")
    assert text.count(old) == 1
    changed = tmp_path / "programme.yaml"
    changed.write_text(text.replace(old, new), encoding="utf-8")
    return changed


def audit_count(deps: Deps) -> int:
    with deps.uow(readonly=True) as uow:
        return int(uow.connection.execute(select(func.count()).select_from(t.audit)).scalar_one())


def test_loading_twice_changes_nothing(partnership: Deps) -> None:
    first = load_programme(partnership, PROGRAMME)
    assert (len(first.added), first.updated, first.unchanged) == (15, (), ())
    before = list_entries(partnership)
    again = load_programme(partnership, PROGRAMME)
    assert again == LoadResult(NAME, (), (), file_order(e.key for e in before))
    assert list_entries(partnership) == before


def file_order(keys: Iterable[str]) -> tuple[str, ...]:
    text = PROGRAMME.read_text(encoding="utf-8")
    return tuple(sorted(keys, key=lambda key: text.index(f"key: {key}\n")))


def test_entries_are_listed_by_date_with_undated_ones_last(partnership: Deps) -> None:
    load_programme(partnership, PROGRAMME)
    entries = list_entries(partnership)
    assert entries[0].key == "syv-benchmarking"
    assert [e.timeframe for e in entries[-2:]] == ["TBC", "TBC"]
    assert {e.key for e in list_entries(partnership, year=2026)} == {
        "front-door-ethnicity-deep-dive",
        "syv-mace",
        "emotional-health-scrutiny",
        # Annual work is listed under its first due year.
        "training-impact-annual",
        "programme-review",
    }
    assert len(list_entries(partnership, year=2025)) == 7
    effectiveness = next(e for e in entries if e.key == "effectiveness-report")
    assert (effectiveness.due_year, effectiveness.due_month) == (2025, 8)
    assert effectiveness.due_recurring == "quarterly"
    assert effectiveness.evidence[-1] == "Working Together 23"
    assert effectiveness.audit_reference is None and effectiveness.audit_state is None


def test_a_reworded_row_is_updated_and_keeps_its_audit(partnership: Deps, tmp_path: Path) -> None:
    load_programme(partnership, PROGRAMME)
    fired = start_from_programme(partnership, key="syv-mace", lead=CHAIR, actor=COORDINATOR)
    changed = copy_with(
        tmp_path, "    report_author: Lorraine Kenny OCSP", "    report_author: Lorraine Kenny OSCP"
    )
    result = load_programme(partnership, changed)
    assert (result.added, result.updated, len(result.unchanged)) == ((), ("syv-mace",), 14)
    entry = next(e for e in list_entries(partnership) if e.key == "syv-mace")
    assert entry.report_author == "Lorraine Kenny OSCP"
    assert entry.audit_reference == fired.reference


def test_a_row_left_out_is_deleted_unless_an_audit_hangs_on_it(
    partnership: Deps, tmp_path: Path
) -> None:
    load_programme(partnership, PROGRAMME)
    fired = start_from_programme(partnership, key="fgm-deep-dive", lead=CHAIR, actor=COORDINATOR)
    text = PROGRAMME.read_text(encoding="utf-8")
    rows = text.split("\n\n")
    kept = [r for r in rows if "key: fgm-deep-dive" not in r and "key: syv-mace" not in r]
    shorter = tmp_path / "programme.yaml"
    shorter.write_text("\n\n".join(kept), encoding="utf-8")

    result = load_programme(partnership, shorter)
    assert (result.removed, result.kept, len(result.unchanged)) == (
        ("syv-mace",),
        ("fgm-deep-dive",),
        13,
    )
    keys = {e.key: e for e in list_entries(partnership)}
    assert "syv-mace" not in keys
    assert keys["fgm-deep-dive"].audit_reference == fired.reference


def test_a_broken_file_stores_nothing(partnership: Deps, tmp_path: Path) -> None:
    broken = copy_with(tmp_path, "audit_type: benchmarking", "audit_type: benchmark")
    with pytest.raises(DefinitionError, match=r"programme\.yaml, line \d+ at entries\[0\]"):
        load_programme(partnership, broken)
    assert list_entries(partnership) == []


def test_start_from_the_programme_links_the_audit(partnership: Deps) -> None:
    load_programme(partnership, PROGRAMME)
    fired = start_from_programme(
        partnership,
        key="sexual-abuse-mace",
        lead=CHAIR,
        actor=COORDINATOR,
        agencies=("police", "csc"),
        started_on=date(2026, 3, 2),
    )
    with partnership.uow(readonly=True) as uow:
        row = uow.connection.execute(
            select(t.audit.c.audit_type, t.audit.c.theme, t.audit.c.started_on).where(
                t.audit.c.reference == fired.reference
            )
        ).one()
    assert tuple(row) == ("mace", "Sexual abuse MACE", date(2026, 3, 2))
    entry = next(e for e in list_entries(partnership) if e.key == "sexual-abuse-mace")
    assert (entry.audit_reference, entry.audit_state) == (fired.reference, "planning")

    with pytest.raises(InvalidInput, match=f"already has audit {fired.reference}"):
        start_from_programme(partnership, key="sexual-abuse-mace", lead=CHAIR, actor=COORDINATOR)
    assert audit_count(partnership) == 1


def test_a_start_retried_after_a_failure_links_the_audit_it_made(partnership: Deps) -> None:
    """As if the process stopped after starting the audit and before linking it."""
    load_programme(partnership, PROGRAMME)
    with partnership.uow(readonly=True) as uow:
        entry_id = uow.connection.execute(
            select(t.programme_entry.c.id).where(t.programme_entry.c.key == "camhs-deep-dive")
        ).scalar_one()
    made = audits.start_audit(
        partnership,
        audit_type="deep_dive",
        theme="CAMHS Deep dive",
        lead=CHAIR,
        actor=COORDINATOR,
        request_key=f"programme-entry:{entry_id}",
    )
    fired = start_from_programme(partnership, key="camhs-deep-dive", lead=CHAIR, actor=COORDINATOR)
    assert fired.reference == made.reference
    assert audit_count(partnership) == 1
    linked = next(e for e in list_entries(partnership) if e.key == "camhs-deep-dive")
    assert linked.audit_reference == made.reference


def test_only_a_coordinator_starts_one_and_a_refusal_links_nothing(partnership: Deps) -> None:
    load_programme(partnership, PROGRAMME)
    with pytest.raises(PermissionDenied, match="Only a coordinator can start an audit"):
        start_from_programme(partnership, key="syv-mace", lead=CHAIR, actor=CHAIR)
    with pytest.raises(NotFound, match="No programme entry 'no-such-entry'"):
        start_from_programme(partnership, key="no-such-entry", lead=CHAIR, actor=COORDINATOR)
    assert audit_count(partnership) == 0
    assert all(e.audit_reference is None for e in list_entries(partnership))


def test_link_an_audit_started_by_hand(partnership: Deps) -> None:
    load_programme(partnership, PROGRAMME)
    by_hand = audits.start_audit(
        partnership, audit_type="mace", theme="Domestic abuse", lead=CHAIR, actor=COORDINATOR
    )
    link_audit(partnership, "domestic-abuse-mace", by_hand.reference)
    link_audit(partnership, "domestic-abuse-mace", by_hand.reference)  # again: harmless
    entry = next(e for e in list_entries(partnership) if e.key == "domestic-abuse-mace")
    assert entry.audit_reference == by_hand.reference

    other = audits.start_audit(
        partnership, audit_type="mace", theme="Domestic abuse 2", lead=CHAIR, actor=COORDINATOR
    )
    with pytest.raises(InvalidInput, match=f"already has audit {by_hand.reference}"):
        link_audit(partnership, "domestic-abuse-mace", other.reference)
    with pytest.raises(NotFound, match="No audit 'AUD-NOPE'"):
        link_audit(partnership, "syv-mace", "AUD-NOPE")
    with pytest.raises(NotFound, match="No programme entry 'nope'"):
        link_audit(partnership, "nope", other.reference)


def test_a_long_theme_is_cut_at_a_word() -> None:
    assert short_theme("  Sexual   abuse MACE ") == "Sexual abuse MACE"
    long = "Neglect \u2013 " + "word " * 60
    cut = short_theme(long)
    assert len(cut) <= 200 and cut.endswith("word…")
    assert short_theme("x" * 300).endswith("…") and len(short_theme("x" * 300)) == 200
    # A cut just after a dash drops the dash too: "... \u2013…" reads as a broken sentence.
    assert short_theme("a" * 195 + " \u2013 tail words") == "a" * 195 + "…"


def test_a_long_plan_theme_still_starts_an_audit(partnership: Deps, tmp_path: Path) -> None:
    long = "Child emotional health and wellbeing scrutiny audit, " + "across pathways " * 20
    changed = copy_with(
        tmp_path,
        "theme: Child emotional health and wellbeing scrutiny audit",
        f"theme: {long.strip()}",
    )
    load_programme(partnership, changed)
    fired = start_from_programme(
        partnership, key="emotional-health-scrutiny", lead=CHAIR, actor=COORDINATOR
    )
    with partnership.uow(readonly=True) as uow:
        theme = uow.connection.execute(
            select(t.audit.c.theme).where(t.audit.c.reference == fired.reference)
        ).scalar_one()
    assert theme.startswith("Child emotional health") and theme.endswith("…")
    assert len(theme) <= 200
