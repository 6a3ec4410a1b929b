"""Reading a directory file's rows into entries: each rule on its own, with the sentence a
person reads, and a whole directory written out and read back unchanged. No database, no files:
rows are what the Excel and CSV readers hand over. Every name here is invented."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from states.errors import DirectoryRejected
from states.rules.directory import (
    AgencyEntry,
    AgencyKind,
    BodyEntry,
    BodyKind,
    Directory,
    Part,
    PersonEntry,
    Phase,
    SettingEntry,
)
from states.rules.directory_columns import COLUMNS, column_letter, rows_of
from states.rules.directory_rows import PartRows, read_directory

EMPTY = Directory()


def part(which: Part, *rows: Sequence[str], headings: Sequence[str] | None = None) -> PartRows:
    """A sheet named as the workbook names it: headings on row 1, then ``rows``."""
    numbered = [(1, list(COLUMNS[which] if headings is None else headings))]
    numbered += [(n, list(cells)) for n, cells in enumerate(rows, start=2)]
    return PartRows(which, f"Sheet '{which}'", numbered)


def problems(*parts: PartRows, current: Directory = EMPTY) -> list[str]:
    with pytest.raises(DirectoryRejected) as refused:
        read_directory(parts, current)
    assert "nothing was saved" in str(refused.value)
    return [str(p) for p in refused.value.problems]


AGENCY = ("north_police", "North Police", "police", "yes")
SETTING = ("123456", "ash_primary", "Ash Lane Primary", "school", "primary", "yes")
PERSON = ("Lead.P01@Example.org", "Lead P01", "north_police", "agency_lead", "")
CURRENT = Directory(
    agencies={"csc": AgencyEntry("csc", "Children's Social Care", AgencyKind.LOCAL_AUTHORITY)},
    settings={
        "654321": SettingEntry("654321", "oak_high", "Oak High", AgencyKind.SCHOOL, Phase.SECONDARY)
    },
    people={
        "chair.p02@example.org": PersonEntry("chair.p02@example.org", "P02", None, frozenset())
    },
)


def test_a_clean_file_is_read_into_entries_as_people_write_them() -> None:
    read = read_directory(
        [
            part(Part.AGENCIES, (" north_police ", "North Police", "Police", "")),
            part(
                Part.SETTINGS,
                ("123456", "ash_primary", "Ash Lane Primary", "School", "Primary", "No"),
            ),
            part(
                Part.PEOPLE,
                (
                    "Lead.P01@Example.org",
                    "Lead P01",
                    "ash_primary",
                    "Agency lead; strategic_lead;",
                    "y",
                ),
                ("hub.p03@example.org", "Hub P03", "", "learning_hub_member", "yes"),
            ),
            part(
                Part.BODIES,
                ("hub", "Learning hub", "learning hub", "hub.p03@example.org", ""),
                ("hub", "Learning hub", "learning_hub", "LEAD.P01@example.org", ""),
                ("perf", "Performance group", "performance_group", "", "no"),
            ),
        ],
        EMPTY,
    )
    assert read.agencies == {
        "north_police": AgencyEntry("north_police", "North Police", AgencyKind.POLICE, True)
    }
    assert read.settings["123456"] == SettingEntry(
        "123456", "ash_primary", "Ash Lane Primary", AgencyKind.SCHOOL, Phase.PRIMARY, False
    )
    assert read.people["lead.p01@example.org"] == PersonEntry(
        "lead.p01@example.org",
        "Lead P01",
        "ash_primary",
        frozenset({"agency_lead", "strategic_lead"}),
        True,
    )
    assert read.people["hub.p03@example.org"].agency is None
    assert read.bodies == {
        "hub": BodyEntry(
            "hub",
            "Learning hub",
            BodyKind.LEARNING_HUB,
            frozenset({"hub.p03@example.org", "lead.p01@example.org"}),
        ),
        "perf": BodyEntry(
            "perf", "Performance group", BodyKind.PERFORMANCE_GROUP, frozenset(), False
        ),
    }


BAD_ROWS = {
    "unknown kind": (
        part(Part.AGENCIES, ("north_police", "North Police", "constabulary", "")),
        "Sheet 'agencies', row 2, column 'kind': 'constabulary' is not one of local_authority, "
        "police, integrated_care_board, health_trust, health_service, school, college, "
        "early_years, justice, housing, voluntary_sector, other",
    ),
    "a school on the agencies sheet": (
        part(Part.AGENCIES, ("ash_primary", "Ash Lane Primary", "school", "")),
        "Sheet 'agencies', row 2, column 'kind': a school is a setting: put it on the settings "
        "sheet with its URN",
    ),
    "an agency on the settings sheet": (
        part(Part.SETTINGS, ("123456", "north_police", "North Police", "police", "primary", "")),
        "Sheet 'settings', row 2, column 'kind': a setting is a college, early_years, school; "
        "put a police on the agencies sheet",
    ),
    "unknown phase": (
        part(Part.SETTINGS, ("123456", "ash_primary", "Ash Lane Primary", "school", "infant", "")),
        "Sheet 'settings', row 2, column 'phase': 'infant' is not one of nursery, primary, "
        "middle, secondary, all_through, special, alternative_provision, post_16, early_years, "
        "not_applicable",
    ),
    "missing URN": (
        part(
            Part.SETTINGS, ("", "ash_primary", "Ash Lane Primary", "early_years", "early_years", "")
        ),
        "Sheet 'settings', row 2, column 'urn': a school, college or early years setting needs "
        "its URN; fill it in",
    ),
    "short URN": (
        part(Part.SETTINGS, ("12345", "ash_primary", "Ash Lane Primary", "school", "primary", "")),
        "Sheet 'settings', row 2, column 'urn': a URN is 6 or 7 digits (the DfE's, or Ofsted's "
        "for early years)",
    ),
    "URN with letters": (
        part(Part.SETTINGS, ("12345A", "ash_primary", "Ash Lane Primary", "school", "primary", "")),
        "Sheet 'settings', row 2, column 'urn': a URN is 6 or 7 digits (the DfE's, or Ofsted's "
        "for early years)",
    ),
    "unknown role": (
        part(Part.PEOPLE, ("lead.p01@example.org", "Lead P01", "", "agency_lead; head", "")),
        "Sheet 'people', row 2, column 'roles': 'head' is not a role; roles are coordinator, "
        "chair, auditor, agency_lead, strategic_lead, learning_hub_member, statutory_partner, "
        "system, separated by ';'",
    ),
    "malformed e-mail": (
        part(Part.PEOPLE, ("lead.p01@example", "Lead P01", "", "", "")),
        "Sheet 'people', row 2, column 'email': this is not an e-mail address "
        "(name@organisation.example)",
    ),
    "unknown agency": (
        part(Part.PEOPLE, ("lead.p01@example.org", "Lead P01", "west_police", "", "")),
        "Sheet 'people', row 2, column 'agency': no agency or setting has the code "
        "'west_police', in this file or in the directory",
    ),
    "unknown body kind": (
        part(Part.BODIES, ("hub", "Learning hub", "committee", "", "")),
        "Sheet 'bodies', row 2, column 'body_kind': 'committee' is not one of learning_hub, "
        "statutory_partners, performance_group, subgroup",
    ),
    "a body member who is not a person": (
        part(Part.BODIES, ("hub", "Learning hub", "learning_hub", "nobody.p09@example.org", "")),
        "Sheet 'bodies', row 2, column 'member_email': this member is not a person, in this "
        "file's people or in the directory; add them to the people sheet",
    ),
    "a malformed code": (
        part(Part.AGENCIES, ("north police", "North Police", "police", "")),
        "Sheet 'agencies', row 2, column 'code': a code is up to 40 letters, digits, hyphens and "
        "underscores, starting with a letter or digit",
    ),
    "an empty name": (
        part(Part.AGENCIES, ("north_police", "", "police", "")),
        "Sheet 'agencies', row 2, column 'name': this cell is empty; fill it in",
    ),
    "a formula in text": (
        part(Part.AGENCIES, ("north_police", '=HYPERLINK("x")', "police", "")),
        "Sheet 'agencies', row 2, column 'name': starts with =, +, - or @, which spreadsheets "
        "run as a formula",
    ),
    "an over-long name": (
        part(Part.AGENCIES, ("north_police", "N" * 201, "police", "")),
        "Sheet 'agencies', row 2, column 'name': is longer than 200 characters",
    ),
    "active neither yes nor no": (
        part(Part.AGENCIES, ("north_police", "North Police", "police", "maybe")),
        "Sheet 'agencies', row 2, column 'active': write yes or no (or leave it empty for yes)",
    ),
    "a value under no heading": (
        part(Part.AGENCIES, ("north_police", "North Police", "police", "yes", "stray")),
        "Sheet 'agencies', row 2, column 'E': this column has no heading; clear the cell or "
        "move it to a named column",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_each_bad_row_is_one_sentence_naming_sheet_row_and_column(case: str) -> None:
    given, expected = BAD_ROWS[case]
    assert problems(given) == [expected]


def test_repeats_within_the_file_are_refused_at_the_repeat() -> None:
    found = problems(
        part(Part.AGENCIES, AGENCY, ("ash_primary", "Ash Lane Nursery", "other", "")),
        part(
            Part.SETTINGS,
            SETTING,
            ("123456", "elm_primary", "Elm Primary", "school", "primary", ""),
        ),
        part(Part.PEOPLE, PERSON, ("lead.p01@EXAMPLE.org", "Lead P01", "", "", "")),
        part(
            Part.BODIES,
            ("hub", "Learning hub", "learning_hub", "lead.p01@example.org", ""),
            ("hub", "Learning hub", "learning_hub", "lead.p01@example.org", ""),
            ("hub", "The hub", "learning_hub", "", ""),
        ),
    )
    assert found == [
        "Sheet 'settings', row 2, column 'code': the code 'ash_primary' is already used on "
        "Sheet 'agencies', row 3",
        "Sheet 'settings', row 3, column 'urn': repeats the URN on Sheet 'settings', row 2; each "
        "appears once",
        "Sheet 'people', row 3, column 'email': repeats the e-mail on Sheet 'people', row 2; each "
        "appears once",
        "Sheet 'bodies', row 3, column 'member_email': repeats the member on Sheet 'bodies', "
        "row 2; each appears once",
        "Sheet 'bodies', row 4, column 'body_name': differs from the body's first row (Sheet "
        "'bodies', row 2); give every row of a body the same",
    ]


def test_headings_missing_unknown_or_twice_are_refused_on_the_heading_row() -> None:
    found = problems(
        part(Part.AGENCIES, AGENCY, headings=("code", "name", "type", "active")),
        part(Part.PEOPLE, PERSON, headings=("Email", "Name", "Agency", "Roles", "Active", "Email")),
        part(Part.SETTINGS, SETTING, headings=(*COLUMNS[Part.SETTINGS], "ofsted_grade")),
        PartRows(Part.BODIES, "Sheet 'bodies'", []),
    )
    assert found == [
        "Sheet 'agencies', row 1, column 'kind': this column is missing; the columns are code, "
        "name, kind, active",
        "Sheet 'agencies', row 1, column 'type': this sheet has no such column; the columns are "
        "code, name, kind, active",
        "Sheet 'settings', row 1, column 'ofsted_grade': this sheet has no such column; the "
        "columns are urn, code, name, kind, phase, active",
        "Sheet 'people', row 1, column 'email': this column's heading appears twice (column F)",
        "Sheet 'bodies': there are no headings; the first row names the columns body_code, "
        "body_name, body_kind, member_email, active",
    ]


def test_active_may_be_left_out_and_blank_rows_are_skipped() -> None:
    read = read_directory(
        [
            part(
                Part.AGENCIES,
                ("", "", ""),
                ("north_police", "North Police", "police"),
                ("  ", "", ""),
                headings=("code", "name", "kind"),
            )
        ],
        EMPTY,
    )
    assert read.agencies["north_police"].active is True


def test_every_problem_in_the_file_is_listed_in_reading_order() -> None:
    found = problems(
        part(Part.PEOPLE, ("bad", "", "west_police", "head", "")),
        part(Part.AGENCIES, ("north police", "North Police", "constabulary", "")),
    )
    assert [f.split(":")[0] for f in found] == [
        "Sheet 'agencies', row 2, column 'code'",
        "Sheet 'agencies', row 2, column 'kind'",
        "Sheet 'people', row 2, column 'email'",
        "Sheet 'people', row 2, column 'name'",
        "Sheet 'people', row 2, column 'roles'",
    ]


def test_people_and_members_may_be_in_the_directory_rather_than_the_file() -> None:
    read = read_directory(
        [
            part(
                Part.PEOPLE,
                ("lead.p04@example.org", "Lead P04", "oak_high", "agency_lead", ""),
                ("lead.p05@example.org", "Lead P05", "csc", "", ""),
            ),
            part(Part.BODIES, ("hub", "Learning hub", "learning_hub", "chair.p02@example.org", "")),
        ],
        CURRENT,
    )
    assert read.people["lead.p04@example.org"].agency == "oak_high"
    assert read.bodies["hub"].members == {"chair.p02@example.org"}


def test_a_setting_given_a_new_code_takes_its_old_code_away() -> None:
    renamed = part(
        Part.SETTINGS, ("654321", "oak_academy", "Oak Academy", "school", "secondary", "")
    )
    assert read_directory([renamed], CURRENT).settings["654321"].code == "oak_academy"
    assert problems(
        renamed,
        part(Part.PEOPLE, ("lead.p04@example.org", "Lead P04", "oak_high", "", "")),
        current=CURRENT,
    ) == [
        "Sheet 'people', row 2, column 'agency': no agency or setting has the code 'oak_high', "
        "in this file or in the directory"
    ]


def test_a_code_the_directory_gives_another_entry_is_refused() -> None:
    found = problems(
        part(Part.AGENCIES, ("oak_high", "Oak High", "other", "")),
        part(
            Part.SETTINGS,
            ("111111", "csc", "Birch Primary", "school", "primary", ""),
            ("222222", "oak_high", "Oak High", "school", "secondary", ""),
        ),
        current=CURRENT,
    )
    assert found == [
        "Sheet 'agencies', row 2, column 'code': the directory has 'oak_high' as the setting "
        "with URN 654321; a setting goes on the settings sheet",
        "Sheet 'settings', row 2, column 'code': the directory already uses the code 'csc' for "
        "an agency",
        "Sheet 'settings', row 3, column 'code': the code 'oak_high' is already used on Sheet "
        "'agencies', row 2",
        "Sheet 'settings', row 3, column 'code': the directory already uses the code 'oak_high' "
        "for the setting with URN 654321",
    ]


def test_body_members_are_refused_as_the_directory_would_refuse_them() -> None:
    found = problems(
        part(Part.AGENCIES, AGENCY, ("csc2", "Council Two", "local_authority", "")),
        part(
            Part.PEOPLE,
            ("gone.p06@example.org", "Gone P06", "", "", "no"),
            ("police.p07@example.org", "Lead P07", "north_police", "statutory_partner", ""),
            ("police.p08@example.org", "Lead P08", "north_police", "statutory_partner", ""),
            ("council.p09@example.org", "Lead P09", "csc2", "statutory_partner", ""),
        ),
        part(
            Part.BODIES,
            ("hub", "Learning hub", "learning_hub", "gone.p06@example.org", ""),
            ("lsp", "Partners", "statutory_partners", "police.p07@example.org", ""),
            ("lsp", "Partners", "statutory_partners", "police.p08@example.org", ""),
            ("lsp", "Partners", "statutory_partners", "council.p09@example.org", ""),
            ("lsp", "Partners", "statutory_partners", "chair.p02@example.org", ""),
        ),
        current=CURRENT,
    )
    assert found == [
        "Sheet 'bodies', row 2, column 'member_email': this member is not active in the "
        "directory, so cannot be a member of a body",
        "Sheet 'bodies', row 4, column 'member_email': 'north_police' already has its lead on "
        "Sheet 'bodies', row 3; each partner has one",
        "Sheet 'bodies', row 6, column 'member_email': a statutory partners body has the leads "
        "of the local authority, the police and the integrated care board, and this member is "
        "with none of them",
    ]


def test_an_agency_of_a_settings_kind_already_in_the_directory_may_stay() -> None:
    legacy = AgencyEntry("schools", "Northvale Schools", AgencyKind.SCHOOL)
    current = Directory(agencies={"schools": legacy})
    row = part(Part.AGENCIES, ("schools", "Northvale Schools", "school", ""))
    assert read_directory([row], current).agencies == {"schools": legacy}
    assert problems(row) == [
        "Sheet 'agencies', row 2, column 'kind': a school is a setting: put it on the settings "
        "sheet with its URN"
    ]


def test_names_keep_single_spaces_as_the_directory_does() -> None:
    read = read_directory([part(Part.AGENCIES, ("n", "  North   Police ", "police", ""))], EMPTY)
    assert read.agencies["n"].name == "North Police"


def test_refusals_never_repeat_a_persons_name_or_e_mail() -> None:
    found = problems(
        part(Part.PEOPLE, ("Pat.Example.p07@example", "=Pat Example P07", "", "", "")),
        part(Part.BODIES, ("hub", "Learning hub", "learning_hub", "pat.p08@example.org", "")),
    )
    assert len(found) == 3
    assert not any("Pat" in f or "p07" in f or "p08" in f for f in found)


def test_a_directory_written_as_rows_reads_back_the_same() -> None:
    directory = Directory(
        agencies={
            "csc": CURRENT.agencies["csc"],
            "vcs": AgencyEntry("vcs", "Voluntary Hub", AgencyKind.VOLUNTARY_SECTOR, False),
        },
        settings=dict(CURRENT.settings),
        people={
            "chair.p02@example.org": CURRENT.people["chair.p02@example.org"],
            "gone.p06@example.org": PersonEntry(
                "gone.p06@example.org", "Gone P06", None, frozenset(), False
            ),
            "lead.p04@example.org": PersonEntry(
                "lead.p04@example.org",
                "Lead P04",
                "oak_high",
                frozenset({"agency_lead", "auditor"}),
            ),
        },
        bodies={
            "hub": BodyEntry(
                "hub",
                "Learning hub",
                BodyKind.LEARNING_HUB,
                frozenset({"chair.p02@example.org", "lead.p04@example.org"}),
            ),
            "sub": BodyEntry("sub", "Subgroup", BodyKind.SUBGROUP, frozenset(), False),
        },
    )
    written = [
        PartRows(p, p.value, [(1, list(COLUMNS[p])), *enumerate(rows_of(directory, p), 2)])
        for p in Part
    ]
    assert read_directory(written, EMPTY) == directory


def test_column_letters_are_the_spreadsheets() -> None:
    assert [column_letter(i) for i in (0, 4, 25, 26, 27, 701, 702)] == [
        "A",
        "E",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]
