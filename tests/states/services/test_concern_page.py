"""The page of an audit's concerns: the status for everyone it is for, the words only for the
chair and coordinators (each read kept), and the forms as the audit type's roles allow."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from states.clock import FakeClock
from states.errors import NotFound
from states.persistence import tables as t
from states.services import concerns, work
from states.services.concern_page import concerns_page
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import agency_name, email, person_name

CONCERN = "Case C02: the child is staying with an adult barred from the home."


@pytest.fixture
def reference(partnership: Deps, clock: FakeClock) -> str:
    return drive(partnership, "mace", "moderation", theme="Concerns page").reference


def _reads(deps: Deps) -> int:
    with deps.uow(readonly=True) as uow:
        return int(
            uow.connection.execute(select(func.count()).select_from(t.concern_read)).one()[0]
        )


def test_an_auditor_raises_and_sees_the_status_but_not_the_words(
    partnership: Deps, reference: str
) -> None:
    deps = partnership
    before = concerns_page(deps, audit=reference, as_person=email("auditor.one"))
    assert before.may_raise and not before.may_assure and not before.may_confirm_unreachable
    assert before.raisers == "auditor, chair or coordinator"
    assert {a.value for a in before.agencies} == {"police", "csc", "community_health"}
    assert before.stage == "Moderation" and before.raised == ()
    raised = concerns.raise_concern(
        deps, audit=reference, actor=email("auditor.one"), agency="police", concern=CONCERN
    )
    seen = concerns_page(deps, audit=reference, as_person=email("auditor.one"))
    assert [(e.id, e.agency, e.assured_at) for e in seen.raised] == [
        (raised.id, agency_name("police"), None)
    ]
    assert not seen.read.may_read and seen.read.concerns == ()
    assert _reads(deps) == 0
    told = concerns.told_of(deps, audit=reference, escalation_id=raised.id)
    assert told == raised.told
    assert (person_name("lsp.police"), True) in {(p.name, p.link) for p in told}
    with pytest.raises(NotFound):
        concerns.told_of(deps, audit=reference, escalation_id=raised.id + 99)


def test_the_chair_reads_each_concern_and_may_record_assurance(
    partnership: Deps, reference: str
) -> None:
    deps = partnership
    raised = concerns.raise_concern(
        deps, audit=reference, actor=email("chair"), agency="csc", concern=CONCERN
    )
    shown = concerns_page(deps, audit=reference, as_person=email("chair"))
    assert shown.may_raise and shown.may_assure and not shown.may_confirm_unreachable
    assert [c.words for c in shown.read.concerns] == [CONCERN]
    assert _reads(deps) == 1, "every read is kept"
    work.record_assurance(
        deps,
        audit=reference,
        actor=email("coordinator"),
        escalation_id=raised.id,
        assurance="Told by telephone: a strategy discussion was held.",
    )
    coordinator = concerns_page(deps, audit=reference, as_person=email("coordinator"))
    assert coordinator.may_confirm_unreachable and coordinator.may_assure
    (concern,) = coordinator.read.concerns
    assert concern.assured_by == person_name("coordinator") and concern.assurance
    assert coordinator.raised[0].assured_at is not None


def test_a_learning_hub_member_who_is_not_its_chair_may_do_neither(
    partnership: Deps, reference: str
) -> None:
    shown = concerns_page(partnership, audit=reference, as_person=email("lhm"))
    assert not (shown.may_raise or shown.may_assure or shown.read.may_read)
