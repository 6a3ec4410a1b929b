"""The directory kept by a coordinator: agencies, settings, people and their roles, each change
logged with who, when, why and what changed; refusals that store nothing; on both stores."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from states.errors import AuditEngineError, InvalidInput, NotFound, PermissionDenied
from states.persistence import tables as t
from states.persistence.vocabulary import LinkPurpose
from states.rules.directory import AgencyEntry, AgencyKind, Part, PersonEntry, Phase, SettingEntry
from states.services import directory, directory_agencies, directory_people, minting, people
from states.services.deps import Deps
from states.services.directory_people import KEEP
from tests.support.driver import drive
from tests.support.partnership import email

COORDINATOR = email("coordinator")
WHY = "New partner joining the partnership in April"


def _log_rows(deps: Deps) -> int:
    with deps.uow(readonly=True) as uow:
        return int(
            uow.connection.execute(
                select(func.count()).select_from(t.directory_change)
            ).scalar_one()
        )


def test_agencies_settings_and_people_are_added_and_logged(partnership: Deps) -> None:
    deps = partnership
    added = directory_agencies.add_agency(
        deps,
        code="hfs",
        name="Harbour Family Support",
        kind="voluntary sector",
        actor=COORDINATOR,
        reason=WHY,
    )
    assert added == AgencyEntry("hfs", "Harbour Family Support", AgencyKind.VOLUNTARY_SECTOR)
    school = directory_agencies.add_setting(
        deps,
        urn="1234567",
        code="hill-primary",
        name="Hillside Primary School",
        kind="school",
        phase="primary",
        actor=COORDINATOR,
        reason=WHY,
    )
    person = directory_people.add_person(
        deps,
        name="Rowan Ketley",
        email="  Rowan.Ketley@Example.ORG ",
        agency="hill-primary",
        roles=["agency_lead"],
        actor=COORDINATOR,
        reason=WHY,
    )
    assert person.email == "rowan.ketley@example.org"

    shown = directory.snapshot(deps, viewer=COORDINATOR)
    assert shown.agencies["hfs"] == added
    assert (
        shown.settings["1234567"]
        == school
        == SettingEntry(
            "1234567", "hill-primary", "Hillside Primary School", AgencyKind.SCHOOL, Phase.PRIMARY
        )
    )
    assert shown.people[person.email] == PersonEntry(
        person.email, "Rowan Ketley", "hill-primary", frozenset({"agency_lead"})
    )
    logged = directory.log(deps, viewer=COORDINATOR)
    assert [(row.subject, row.change, row.about) for row in logged] == [
        ("person", "added", "rowan.ketley@example.org"),
        ("setting", "added", "hill-primary"),
        ("agency", "added", "hfs"),
    ]
    assert {row.reason for row in logged} == {WHY}
    assert {row.by for row in logged} == {"Kit Farrow"}
    assert logged[0].fields["roles"] == (None, "agency_lead")
    assert logged[1].fields["urn"] == (None, "1234567")


def _refusals() -> dict[str, tuple[Callable[[Deps], object], type[AuditEngineError], str]]:
    def agency(**given: str) -> Callable[[Deps], object]:
        values = {"code": "hfs", "name": "Harbour", "kind": "other", "actor": COORDINATOR} | given
        return lambda deps: directory_agencies.add_agency(deps, reason=WHY, **values)

    def person(**given: object) -> Callable[[Deps], object]:
        values: dict[str, object] = {
            "name": "Rowan Ketley",
            "email": "rowan@example.org",
            "roles": ["auditor"],
        }
        values |= given
        return lambda deps: directory_people.add_person(
            deps,
            actor=COORDINATOR,
            reason=WHY,
            **values,  # type: ignore[arg-type]
        )

    def setting(urn: str, kind: str = "school") -> Callable[[Deps], object]:
        return lambda deps: directory_agencies.add_setting(
            deps,
            urn=urn,
            code="new-school",
            name="New School",
            kind=kind,
            phase="primary",
            actor=COORDINATOR,
            reason=WHY,
        )

    return {
        "not a coordinator": (agency(actor=email("chair")), PermissionDenied, "Only a coordinator"),
        "duplicate code": (
            agency(code="police"),
            InvalidInput,
            "already an agency or setting with the code police",
        ),
        "unknown kind": (
            agency(kind="charity"),
            InvalidInput,
            "There is no kind of agency 'charity'",
        ),
        "a school as an agency": (agency(kind="school"), InvalidInput, "known by its URN"),
        "malformed code": (agency(code="no spaces"), InvalidInput, "code must be up to 40"),
        "formula name": (agency(name="=HYPERLINK()"), InvalidInput, "formula"),
        "bad URN": (setting("12345"), InvalidInput, "6 or 7 digit"),
        "a setting that is not one": (
            setting("123456", kind="police"),
            InvalidInput,
            "A setting is a school",
        ),
        "duplicate e-mail": (
            person(email=email("lead.police").upper()),
            InvalidInput,
            "already in the directory",
        ),
        "malformed e-mail": (
            person(email="rowan.example.org"),
            InvalidInput,
            "not an e-mail address",
        ),
        "unknown role": (person(roles=["auditor", "boss"]), InvalidInput, "There is no role boss"),
        "unknown agency": (person(agency="nowhere"), NotFound, "No agency 'nowhere'"),
        "no reason": (
            lambda deps: directory_agencies.add_agency(
                deps, code="x1", name="X", kind="other", actor=COORDINATOR, reason="  "
            ),
            InvalidInput,
            "reason",
        ),
    }


@pytest.mark.parametrize("case", sorted(_refusals()))
def test_refusals_store_nothing(partnership: Deps, case: str) -> None:
    attempt, error, says = _refusals()[case]
    before = directory.snapshot(partnership, viewer=COORDINATOR)
    with pytest.raises(error, match=says):
        attempt(partnership)
    assert directory.snapshot(partnership, viewer=COORDINATOR) == before
    assert _log_rows(partnership) == 0


def test_a_duplicate_urn_is_refused(partnership: Deps) -> None:
    add = dict(kind="school", phase="secondary", actor=COORDINATOR, reason=WHY)
    directory_agencies.add_setting(partnership, urn="765432", code="a-high", name="A High", **add)
    with pytest.raises(InvalidInput, match="already a setting with the URN 765432"):
        directory_agencies.add_setting(
            partnership, urn="765432", code="b-high", name="B High", **add
        )
    with pytest.raises(InvalidInput, match="already a setting with the URN 765432"):
        directory_agencies.change_agency(
            partnership,
            agency="police",
            kind="college",
            urn="765432",
            actor=COORDINATOR,
            reason=WHY,
        )


def test_reading_the_directory_is_for_coordinators(partnership: Deps) -> None:
    for read in (directory.snapshot, directory.show, directory.log):
        with pytest.raises(PermissionDenied, match="Only a coordinator may see the directory"):
            read(partnership, viewer=email("lead.police"))


def test_a_person_changed_in_one_go_is_logged_field_by_field(partnership: Deps) -> None:
    deps = partnership
    changed = directory_people.change_person(
        deps,
        person=email("auditor.one"),
        name="Jules Penrose-Hart",
        email="jules.ph@example.org",
        agency="police",
        grant=["agency_lead"],
        remove=["auditor"],
        actor=COORDINATOR,
        reason=WHY,
    )
    assert changed == PersonEntry(
        "jules.ph@example.org", "Jules Penrose-Hart", "police", frozenset({"agency_lead"})
    )
    logged = directory.log(deps, viewer=COORDINATOR, person="jules.ph@example.org")
    assert sorted((row.change, row.role) for row in logged) == [
        ("changed", None),
        ("role_granted", "agency_lead"),
        ("role_removed", "auditor"),
    ]
    fields = next(row.fields for row in logged if row.change == "changed")
    assert fields == {
        "agency": ("csc", "police"),
        "email": (email("auditor.one"), "jules.ph@example.org"),
        "name": ("Jules Penrose", "Jules Penrose-Hart"),
    }
    with pytest.raises(InvalidInput, match="already holds the role agency_lead"):
        directory_people.grant_role(
            deps, person="jules.ph@example.org", role="agency_lead", actor=COORDINATOR, reason=WHY
        )
    with pytest.raises(InvalidInput, match="already in the directory"):
        directory_people.change_person(
            deps, person="jules.ph@example.org", email=email("chair"), actor=COORDINATOR, reason=WHY
        )
    left = directory_people.change_person(
        deps, person="jules.ph@example.org", agency=None, actor=COORDINATOR, reason=WHY
    )
    assert left.agency is None
    kept = directory_people.change_person(
        deps,
        person="jules.ph@example.org",
        name="J P-H",
        agency=KEEP,
        actor=COORDINATOR,
        reason=WHY,
    )
    assert kept.agency is None


def test_moving_a_person_to_another_agency_withdraws_the_old_agencys_link(
    partnership: Deps,
) -> None:
    deps = partnership
    audit = drive(deps, "section_11", "returns_open").reference
    with deps.uow(readonly=True) as uow:
        ids = {
            row.email: row.id
            for row in uow.connection.execute(select(t.person.c.email, t.person.c.id))
        }
        audit_id = uow.connection.execute(
            select(t.audit.c.id).where(t.audit.c.reference == audit)
        ).scalar_one()
    token = minting.mint(
        deps, purpose=LinkPurpose.RETURN, audit_id=audit_id, person_id=ids[email("lead.police")]
    )
    assert token is not None
    directory_people.change_person(
        deps, person=email("lead.police"), agency="csc", actor=COORDINATOR, reason=WHY
    )
    logged = directory.log(deps, viewer=COORDINATOR, person=email("lead.police"))
    assert [(row.change, row.links_revoked) for row in logged] == [("changed", 1)]
    with deps.uow(readonly=True) as uow:
        revoked = uow.connection.execute(
            select(t.token.c.revoked_at).where(t.token.c.person_id == ids[email("lead.police")])
        ).scalar_one()
    assert revoked is not None


def test_deactivating_and_reactivating_a_person(partnership: Deps) -> None:
    deps = partnership
    removed = people.deactivate_person(deps, person=email("lhm"), actor=COORDINATOR, reason=WHY)
    assert removed.name == "Nat Brierley"
    assert not directory.snapshot(deps, viewer=COORDINATOR).people[email("lhm")].active
    # What the directory records for them stays, so they come back as they were.
    back = directory_people.reactivate_person(
        deps, person=email("lhm"), actor=COORDINATOR, reason=WHY
    )
    assert back.active and back.roles == frozenset({"learning_hub_member"})
    with pytest.raises(InvalidInput, match="in the directory already"):
        directory_people.reactivate_person(deps, person=email("lhm"), actor=COORDINATOR, reason=WHY)
    logged = directory.log(deps, viewer=COORDINATOR, person=email("lhm"))
    # Leaving the bodies they sat on is logged too (tests/states/services/test_directory_bodies).
    assert [row.change for row in logged if row.change != "member_removed"] == [
        "reactivated",
        "deactivated",
    ]


def test_an_agency_is_deactivated_only_once_nobody_is_left_in_it(partnership: Deps) -> None:
    deps = partnership
    done = directory_agencies.set_active(
        deps, agency="vcs", active=False, actor=COORDINATOR, reason=WHY
    )
    assert not done.active
    with pytest.raises(InvalidInput, match="has been deactivated"):
        directory_people.add_person(
            deps,
            name="Sam Vale",
            email="sam@example.org",
            roles=[],
            agency="vcs",
            actor=COORDINATOR,
            reason=WHY,
        )
    with pytest.raises(
        InvalidInput,
        match="Northvale Police still has Jess Calloway, Sol Bramwell in the directory",
    ):
        directory_agencies.set_active(
            deps, agency="police", active=False, actor=COORDINATOR, reason=WHY
        )
    directory_agencies.set_active(deps, agency="vcs", active=True, actor=COORDINATOR, reason=WHY)
    assert [row.change for row in directory.log(deps, viewer=COORDINATOR, agency="vcs")] == [
        "reactivated",
        "deactivated",
    ]


def test_an_agency_in_an_open_audit_stays(partnership: Deps) -> None:
    deps = partnership
    drive(deps, "section_11", "returns_open")
    for local in ("lead.police", "lsp.police"):
        people.deactivate_person(deps, person=email(local), actor=COORDINATOR, reason=WHY)
    with pytest.raises(InvalidInput, match="takes part in open audit AUD-"):
        directory_agencies.set_active(
            deps, agency="police", active=False, actor=COORDINATOR, reason=WHY
        )


def test_an_agency_becomes_a_setting_with_its_urn(partnership: Deps) -> None:
    deps = partnership
    with pytest.raises(InvalidInput, match="give its URN as well"):
        directory_agencies.change_agency(
            deps, agency="housing", kind="college", actor=COORDINATOR, reason=WHY
        )
    changed = directory_agencies.change_agency(
        deps,
        agency="housing",
        kind="college",
        urn="1122334",
        phase="post_16",
        name="Vale College",
        actor=COORDINATOR,
        reason=WHY,
    )
    assert changed == SettingEntry(
        "1122334", "housing", "Vale College", AgencyKind.COLLEGE, Phase.POST_16
    )
    # Found by its URN from now on; a kind that is not a setting's drops the URN and phase.
    plain = directory_agencies.change_agency(
        deps, agency="1122334", kind="housing", actor=COORDINATOR, reason=WHY
    )
    assert plain == AgencyEntry("housing", "Vale College", AgencyKind.HOUSING)
    fields = directory.log(deps, viewer=COORDINATOR, agency="housing")[0].fields
    assert fields == {
        "kind": ("college", "housing"),
        "phase": ("post_16", None),
        "urn": ("1122334", None),
    }


def test_show_searches_names_emails_codes_and_urns(partnership: Deps) -> None:
    deps = partnership
    directory_agencies.add_setting(
        deps,
        urn="554433",
        code="moor-infants",
        name="Moor Infants",
        kind="school",
        phase="primary",
        actor=COORDINATOR,
        reason=WHY,
    )
    by_urn = directory.show(deps, viewer=COORDINATOR, search="5544")
    assert list(by_urn.settings) == ["554433"] and not by_urn.people and not by_urn.agencies
    by_email = directory.show(deps, viewer=COORDINATOR, search="LEAD.POLICE@")
    assert list(by_email.people) == [email("lead.police")]
    police = directory.show(deps, viewer=COORDINATOR, search="police", part=Part.AGENCIES)
    assert list(police.agencies) == ["police"] and not police.people


@pytest.mark.parametrize(
    "statement", ["UPDATE directory_change SET reason = 'x'", "DELETE FROM directory_change"]
)
def test_a_log_row_cannot_be_updated_or_deleted(
    partnership: Deps, engine: Engine, statement: str
) -> None:
    directory_agencies.add_agency(
        partnership, code="hfs", name="Harbour", kind="other", actor=COORDINATOR, reason=WHY
    )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    assert _log_rows(partnership) == 1
