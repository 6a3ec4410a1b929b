"""Finding 4: no setting can work out another setting's ratings from what it is sent.

The attacker is a school or setting that took part in a Section 175 audit. It knows its own
ratings, reads its own feedback letter, the summary to all settings, the 7-minute briefing and
learning on a page, and can subtract. Before the fix a letter showed the setting's ratings
beside all settings' totals, and the summary showed every standard's counts: with two settings
the other's ratings were there to read.

Three ways of looking at it:

- with 2 and 3 settings (and 5 and 6, the smallest groups shown), every assignment of ratings
  (per standard) is rendered through the real products, and those the reader cannot tell from
  the truth (the same documents) are kept; no other setting's rating may be the same in all;
- with 40 settings (and every group from 5 to 30), by counts: for each reader and standard,
  the count vectors consistent with what the products show (the same pure functions the
  templates use), over every vector and over named adversarial ones; what the reader can pin
  down of the others' counts must be a range of at least two, or leave at least
  ``min_cell - 1`` settings on either side;
- end to end, through the database, the driven cycle and the frozen products' HTML, with 2,
  3 and 40 settings: no comparison at all below the group size, and no exact small count.
"""

from __future__ import annotations

import itertools
import random
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from html import unescape

import pytest

from notifications.publishing import make_products
from notifications.reports import render
from states.definitions.disclosure import DisclosureRule
from states.definitions.tool import ToolDefinition
from states.rules.catalogue import Catalogue
from states.rules.disclosure import leave_out, show
from states.services import partnership, report_store
from states.services.deps import Deps
from states.services.report_data import Bar, Figures, Setting, SettingRatings
from tests.support.driver import Cast, complete_answers
from tests.support.figures import GRADES, bar, s175_figures
from tests.support.partnership import email
from tests.support.reporting import drafting

POOLED = ("summary_to_all", "briefing", "learning_on_a_page")
PRODUCTS = (*POOLED, "feedback_letter")
DATED = datetime(2026, 6, 1, 12, tzinfo=UTC)


def shipped_rules(catalogue: Catalogue) -> dict[str, DisclosureRule]:
    products = catalogue.current("section_175").definition.products
    return {kind: products.rule(kind) for kind in PRODUCTS}


# --- 2 and 3 settings: every assignment, through the rendered products ----------------------


def _bar(key: str, label: str, answers: Sequence[str]) -> Bar:
    return bar(key, label, [answers.count(g) for g in GRADES])


def figures_for(ratings: Sequence[Sequence[str]]) -> Figures:
    """The figures a frozen summary holds when setting ``n`` gave ``ratings[n][standard]``;
    every setting is in the deep dive, so each has a letter."""
    settings = tuple(Setting(code=f"s{n}", name=f"Setting {n}") for n in range(len(ratings)))
    standards = range(len(ratings[0]))
    return s175_figures(
        reference="AUD-SDC00001",
        agencies=settings,
        deep_dive=settings,
        by_section=tuple(
            _bar(f"standard_{j}", f"Standard {j}", [r[j] for r in ratings]) for j in standards
        ),
        by_agency=tuple(_bar(s.code, s.name, r) for s, r in zip(settings, ratings, strict=True)),
        deep_dive_ratings=tuple(
            SettingRatings(
                code=s.code,
                by_section=tuple(_bar(f"standard_{j}", f"Standard {j}", [r[j]]) for j in standards),
            )
            for s, r in zip(settings, ratings, strict=True)
        ),
    )


def seen_by(reader: int, figures: Figures, rules: Mapping[str, DisclosureRule]) -> str:
    """Everything the reader is sent: its own letter and every product shared with all."""
    setting = figures.agencies[reader]
    documents = [
        render(kind, figures, {}, version=1, dated=DATED, rule=rules[kind]) for kind in POOLED
    ]
    documents.append(
        render(
            "feedback_letter",
            figures,
            {},
            version=1,
            dated=DATED,
            setting=setting,
            feedback="Thank you.",
            rule=rules["feedback_letter"],
        )
    )
    return "\n".join(documents)


def assignments(settings: int, standards: int) -> Iterator[tuple[tuple[str, ...], ...]]:
    for flat in itertools.product(GRADES, repeat=settings * standards):
        yield tuple(flat[n * standards : (n + 1) * standards] for n in range(settings))


def pinned(candidates: Sequence[tuple[tuple[str, ...], ...]], reader: int) -> list[str]:
    """Other settings' ratings that are the same in every assignment the reader cannot tell
    apart from the truth."""
    found = []
    for setting, ratings in enumerate(candidates[0]):
        if setting == reader:
            continue
        for standard, rating in enumerate(ratings):
            if all(c[setting][standard] == rating for c in candidates):
                found.append(f"setting {setting}, standard {standard}: {rating}")
    return found


Views = dict[tuple[tuple[str, ...], str], list[tuple[tuple[str, ...], ...]]]


def by_view(settings: int, standards: int, rules: Mapping[str, DisclosureRule]) -> Views:
    """Every assignment, grouped by what setting 0 knows (its own ratings) and is sent."""
    found: Views = defaultdict(list)
    for ratings in assignments(settings, standards):
        found[ratings[0], seen_by(0, figures_for(ratings), rules)].append(ratings)
    return found


@pytest.mark.parametrize(
    ("settings", "standards"),
    # Two standards where it is cheap: enough to catch a figure that joins standards (a
    # total); one where five and six settings are the smallest groups that show counts.
    [(2, 2), (3, 2), (5, 1), (6, 1)],
)
def test_with_few_settings_no_other_settings_rating_can_be_worked_out(
    catalogue: Catalogue, settings: int, standards: int
) -> None:
    rules = shipped_rules(catalogue)
    for (own, _), candidates in by_view(settings, standards, rules).items():
        assert not pinned(candidates, 0), (own, pinned(candidates, 0))
        if settings < rules["summary_to_all"].min_group:
            assert len(candidates) == 3 ** (standards * (settings - 1))  # it learns nothing


def test_the_attacker_model_catches_a_product_that_shows_exact_counts() -> None:
    """The check above is not vacuous: the summary's own counts pin the other setting."""
    found: Views = defaultdict(list)
    for ratings in assignments(2, 2):
        view = render("summary", figures_for(ratings), {}, version=1, dated=DATED)
        found[ratings[0], view].append(ratings)
    assert all(pinned(candidates, 0) for candidates in found.values())


# --- 40 settings: reasoning on counts --------------------------------------------------------


View = tuple[int, tuple[object, ...]]


def count_vectors(total: int, size: int) -> Iterator[tuple[int, ...]]:
    if size == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in count_vectors(total - first, size - 1):
            yield (first, *rest)


def view_of(
    counts: tuple[int, ...], reader: int, rules: Mapping[str, DisclosureRule]
) -> tuple[object, ...]:
    """One standard as the reader sees it: each shared product's counts, and its letter's."""
    own = tuple(int(i == reader) for i in range(len(counts)))
    letter = rules["feedback_letter"]
    return (
        *(show(counts, rules[kind]) for kind in POOLED),
        leave_out(show(counts, letter), own, letter),
    )


def views(
    size: int, rules: Mapping[str, DisclosureRule], settings: int = 40
) -> dict[View, list[tuple[int, ...]]]:
    """Every split of the settings over ``size`` ratings, grouped by what each reader sees."""
    found: dict[View, list[tuple[int, ...]]] = defaultdict(list)
    for counts in count_vectors(settings, size):
        for reader in range(size):
            if counts[reader]:
                found[reader, view_of(counts, reader, rules)].append(counts)
    return found


def assert_nobody_pinned(
    reader: int, consistent: Sequence[tuple[int, ...]], rules: Mapping[str, DisclosureRule]
) -> None:
    """What the reader can tell of the other settings' counts, from the count vectors it
    cannot rule out: never a rating every other setting gave (that pins each of them), and an
    exact count only when it leaves at least ``min_cell - 1`` settings on either side."""
    others = sum(consistent[0]) - 1
    slack = min(rule.min_cell for rule in rules.values()) - 1
    for rating in range(len(consistent[0])):
        values = {c[rating] - (rating == reader) for c in consistent}
        assert values != {others}, (reader, rating, consistent[0])
        if len(values) == 1:
            assert slack <= min(values) <= others - slack, (reader, rating, consistent[0])


def adversarial(size: int) -> list[tuple[int, ...]]:
    """All the same rating, all but one, one each (the rest one rating), and random splits
    with a fixed seed, for 40 settings."""
    found: list[tuple[int, ...]] = []
    for i in range(size):
        found.append(tuple(40 if j == i else 0 for j in range(size)))
        for j in range(size):
            if j != i:
                found.append(tuple(39 if k == i else int(k == j) for k in range(size)))
        found.append(tuple(40 - (size - 1) if k == i else 1 for k in range(size)))
    rng = random.Random(175)
    for _ in range(20):
        cuts = sorted(rng.randint(0, 40) for _ in range(size - 1))
        found.append(tuple(b - a for a, b in itertools.pairwise([0, *cuts, 40])))
    return found


@pytest.mark.parametrize("size", [2, 3, 4])
def test_with_forty_settings_adversarial_distributions_pin_nobody(
    catalogue: Catalogue, size: int
) -> None:
    rules = shipped_rules(catalogue)
    seen = views(size, rules)
    for truth in adversarial(size):
        for reader in range(size):
            if truth[reader]:
                assert_nobody_pinned(reader, seen[reader, view_of(truth, reader, rules)], rules)


@pytest.mark.parametrize(
    "rules",
    [
        "shipped",
        dict.fromkeys(PRODUCTS, DisclosureRule(min_group=9, min_cell=4)),
        {
            **dict.fromkeys(POOLED, DisclosureRule()),
            "feedback_letter": DisclosureRule(min_group=39),
        },
    ],
    ids=["shipped", "stricter", "letter-needs-more"],
)
def test_with_forty_settings_every_distribution_pins_nobody(
    catalogue: Catalogue, rules: Mapping[str, DisclosureRule] | str
) -> None:
    chosen = shipped_rules(catalogue) if isinstance(rules, str) else rules
    for (reader, _), consistent in views(3, chosen).items():
        assert_nobody_pinned(reader, consistent, chosen)


@pytest.mark.parametrize("size", [2, 3, 4])
def test_every_group_the_rule_shows_pins_nobody(catalogue: Catalogue, size: int) -> None:
    """The same reasoning for every group size from the smallest shown up to 30."""
    rules = shipped_rules(catalogue)
    smallest = min(rule.min_group for rule in rules.values())
    for settings in range(smallest, 31):
        for (reader, _), consistent in views(size, rules, settings).items():
            assert_nobody_pinned(reader, consistent, rules)


# --- end to end: the frozen products of a driven Section 175 audit --------------------------


def _settings(deps: Deps, count: int) -> dict[str, str]:
    """``count`` schools, each with its own audit lead: code -> the lead's e-mail local part."""
    leads = {}
    for n in range(1, count + 1):
        code = f"school_{n:02d}"
        partnership.add_agency(deps, code=code, name=f"Moorside School {n:02d}", kind="school")
        partnership.add_person(
            deps,
            name=f"Designated Lead {n:02d}",
            email=email(f"dsl.{n:02d}"),
            roles=["agency_lead"],
            agency=code,
        )
        leads[code] = f"dsl.{n:02d}"
    return leads


def _rating_of(setting: int, question: int) -> str:
    """The first two settings rate the first standard red, and nothing else red: they alone
    are in the deep dive. Every other setting rates it green, so its counts are as lopsided
    as they get; the other standards split between green and amber."""
    if question == 0:
        return "red" if setting < 2 else "green"
    return GRADES[(setting + question) % 2]


def _drive_with(deps: Deps, settings: int) -> tuple[str, list[str]]:
    leads = _settings(deps, settings)

    def answers(
        tool: ToolDefinition, variant: int = 0, phase: str | None = None
    ) -> dict[str, object]:
        given = complete_answers(tool, variant, phase)
        ratings = [q for _, q in tool.questions() if q.type == "rating"]
        for number, question in enumerate(ratings):
            given[question.id] = _rating_of(variant, number)
        return given

    # Each setting returns through its own lead; the deep dive takes only those rated red.
    cast = Cast(returning=leads, answers=answers, deep_dive_percent=0)
    driver = drafting(deps, "section_175", cast=cast)
    driver.advance("dissemination")  # the report frozen as it went for sign-off
    make_products(deps, audit=driver.reference, actor=email("coordinator"))
    return driver.reference, list(leads)


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _section(html: str, heading: str) -> str:
    """The HTML from a heading up to the next heading of the same level."""
    start = html.index(heading)
    end = re.search(r"<h2[ >]", html[start + len(heading) :])
    return html[start : start + len(heading) + end.start()] if end else html[start:]


def _cells(html: str) -> list[str]:
    return [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


def _exact_counts(cells: Sequence[str]) -> list[int]:
    return [int(c.replace(",", "")) for c in cells if re.fullmatch(r"[0-9,]+", c)]


@pytest.mark.slow
@pytest.mark.parametrize("settings", [2, 3, 40])
def test_the_products_a_setting_reads_show_no_small_exact_counts(
    partnership: Deps, settings: int
) -> None:
    deps = partnership
    reference, codes = _drive_with(deps, settings)
    rules = shipped_rules(deps.catalogue)
    summary = report_store.latest(deps, audit=reference, kind="summary_to_all")
    assert summary is not None and summary.html is not None
    letters = [
        report_store.latest(deps, audit=reference, kind="feedback_letter", agency=code)
        for code in codes[:2]
    ]
    assert all(letter is not None and letter.html for letter in letters)

    # How many were sampled follows how many rated red anywhere (every such return is): no
    # document a setting reads says how many.
    assert "in the deep dive" not in _text(summary.html)
    pooled = _section(summary.html, "<h2>The quantitative picture</h2>")
    if settings < rules["summary_to_all"].min_group:
        assert "Too few settings took part" in _text(pooled)
        assert not _exact_counts(_cells(pooled))
    else:
        counted = _exact_counts(_cells(pooled))
        assert counted, "forty settings' counts are shown"
        k = rules["summary_to_all"].min_cell
        assert all(c == settings or k <= c <= settings - k for c in counted), counted
        assert "all but fewer than 3" in _text(pooled)  # the first standard: 38 green of 40

    for letter in letters:
        assert letter is not None and letter.html is not None
        compared = _section(letter.html, "<h2>Your ratings beside the other settings</h2>")
        words = _text(compared)
        if settings - 1 < rules["feedback_letter"].min_group:
            assert "too few settings to compare" in words.lower()
            assert not _exact_counts(_cells(compared)), words
        else:
            k = rules["feedback_letter"].min_cell
            counted = _exact_counts(_cells(compared))
            assert all(c == settings - 1 or k <= c <= settings - 1 - k for c in counted), words
            # The other red among the first standard's 39 is not shown as the 1 it is.
            assert "fewer than 3" in words
        assert "All settings" not in _text(letter.html)
        assert "one of those chosen for a deep dive" in _text(letter.html)
