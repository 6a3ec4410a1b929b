"""One person's own work across the open audits (issue 17, item 2): the cases they audit and
what each waits on, the audits they chair, and the case they are asked to declare on."""

from __future__ import annotations

import pytest

from states.errors import PermissionDenied
from states.persistence.vocabulary import Involvement
from states.services import auditors, my_work
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import email

ONE, TWO = email("auditor.one"), email("auditor.two")


def test_an_auditor_sees_each_case_waiting_on_their_declaration(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "sample_selected")
    ref, (c1, c2, _) = driver.reference, driver.cases
    for case in (c1, c2):
        auditors.assign_auditor(deps, audit=ref, actor=email("coordinator"), case=case, auditor=ONE)
    auditors.declare(deps, audit=ref, actor=ONE, case=c2, involvement="none")
    work = my_work.my_work(deps, person=ONE)
    assert [a.reference for a in work.auditing] == [ref] and not work.chairing
    audit = work.auditing[0]
    assert (audit.state_title, audit.collecting, audit.moderating) == (
        "Tool and sample set",
        False,
        False,
    )
    assert [(c.case, c.declared) for c in audit.cases] == [(c1, None), (c2, Involvement.NONE)]
    assert my_work.my_work(deps, person=TWO).nothing

    # A declared involvement ends the assignment: the case leaves the auditor's work.
    auditors.declare(deps, audit=ref, actor=ONE, case=c1, involvement="practice")
    assert [c.case for c in my_work.my_work(deps, person=ONE).auditing[0].cases] == [c2]


def test_while_returns_are_open_each_case_counts_its_returns(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "returns_open")
    work = my_work.my_work(deps, person=TWO)  # the driver gives the second auditor case 1
    (audit,) = work.auditing
    assert audit.collecting and not audit.moderating
    (case,) = audit.cases
    assert (case.case, case.declared, case.submitted, case.owed) == (
        driver.cases[0],
        Involvement.NONE,
        0,
        3,
    )
    driver.collect_returns()
    assert my_work.my_work(deps, person=TWO).auditing[0].cases[0].submitted == 3


def test_in_moderation_and_for_the_chair(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "moderation")
    assert my_work.my_work(deps, person=ONE).auditing[0].moderating
    chair = my_work.my_work(deps, person=email("chair"))
    assert [(a.reference, a.state_title, a.moderating) for a in chair.chairing] == [
        (driver.reference, "Moderation", True)
    ]
    assert not chair.coordinator and my_work.my_work(deps, person=email("coordinator")).coordinator
    driver.advance()  # closed: nothing is left to do on it
    assert my_work.my_work(deps, person=ONE).nothing
    assert my_work.my_work(deps, person=email("chair")).nothing


def test_only_the_assigned_auditor_is_asked_to_declare(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "sample_selected")
    ref, case = driver.reference, driver.cases[0]
    auditors.assign_auditor(deps, audit=ref, actor=email("coordinator"), case=case, auditor=ONE)
    asked = my_work.declaring(deps, audit=ref, case=case, as_person=ONE)
    assert (asked.audit, asked.case, asked.declared) == (ref, case, None)
    # Anyone else is refused alike, whether or not the audit samples such a case.
    for who, wanted in ((TWO, case), (email("coordinator"), case), (ONE, "NV-NOSUCH")):
        with pytest.raises(PermissionDenied, match="is not assigned to it"):
            my_work.declaring(deps, audit=ref, case=wanted, as_person=who)
    auditors.declare(deps, audit=ref, actor=ONE, case=case, involvement="none")
    assert my_work.declaring(deps, audit=ref, case=case, as_person=ONE).declared == (
        Involvement.NONE
    )


def test_coordinators_start_at_the_board_and_everyone_else_at_their_work(
    partnership: Deps,
) -> None:
    assert my_work.starts_at_board(partnership, person=email("coordinator"))
    for who in ("chair", "lhm", "auditor.one"):
        assert not my_work.starts_at_board(partnership, person=email(who))
