"""The same property through the services and a real SQLite database: random people firing
random triggers (with some of the work done in between) only ever produce declared moves, the
gate preview in ``audit show`` agrees with what firing does, and the history has no gaps."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from states.clock import FakeClock
from states.errors import AuditEngineError, GateBlocked, TransitionNotAllowed
from states.persistence.db import make_engine
from states.persistence.migrate import upgrade
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import audits, queries, returns, work
from states.services.deps import Deps
from tests.conftest import DEFINITIONS, START
from tests.support.driver import complete_answers
from tests.support.partnership import PEOPLE, email, seed_partnership

CATALOGUE = Catalogue.from_directory(DEFINITIONS)
TRIGGERS = sorted(
    {
        t.trigger
        for name in CATALOGUE.audit_types
        for t in CATALOGUE.current(name).definition.transitions
    }
)
PEOPLE_EMAILS = [email(person.local) for person in PEOPLE]


@pytest.fixture(scope="module")
def deps(tmp_path_factory: pytest.TempPathFactory) -> Deps:
    folder: Path = tmp_path_factory.mktemp("props")
    engine = make_engine(f"sqlite:///{folder / 'oscp.db'}")
    upgrade(engine)
    built = Deps(uow=UnitOfWorkFactory(engine), catalogue=CATALOGUE, clock=FakeClock(START))
    seed_partnership(built)
    return built


def _work(deps: Deps, reference: str, audit_type: str, kind: int) -> None:
    """Some of the work gates wait for; refusals are part of the game."""
    tool = CATALOGUE.tool(audit_type)
    assert tool is not None
    actions: list[Callable[[], object]] = [
        lambda: returns.submit(
            deps,
            audit=reference,
            actor=email("lead.police"),
            agency="police",
            case=None if tool.completed_per == "agency" else f"{reference}-C",
            answers=complete_answers(tool),
        ),
        lambda: work.add_case(
            deps,
            audit=reference,
            actor=email("coordinator"),
            reference=f"{reference}-C",
            last_intervention_on=date(2026, 1, 5),
            agencies=["police"],
        ),
        lambda: work.assign_auditor(
            deps,
            audit=reference,
            actor=email("coordinator"),
            case=f"{reference}-C",
            auditor=email("auditor.two"),
        ),
        lambda: work.record_sign_off_decision(
            deps, audit=reference, actor=email("lhm"), decision="approve"
        ),
    ]
    with contextlib.suppress(AuditEngineError):
        actions[kind]()


def steps_for(
    audit_type: str,
) -> st.SearchStrategy[list[tuple[str, object, str | None, str | None]]]:
    """Mostly this type's own triggers (so the walk gets somewhere), sometimes any other."""
    own = sorted({t.trigger for t in CATALOGUE.current(audit_type).definition.transitions})
    trigger = st.sampled_from(own) | st.sampled_from(TRIGGERS)
    step = st.one_of(
        st.tuples(
            st.just("fire"), trigger, st.sampled_from(PEOPLE_EMAILS), st.none() | st.just("Because")
        ),
        st.tuples(st.just("work"), st.integers(0, 3), st.none(), st.none()),
    )
    return st.lists(step, min_size=1, max_size=25)


@pytest.mark.slow
@pytest.mark.parametrize("audit_type", ["mace", "section_175", "single_agency_exception"])
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_persisted_random_walks_stay_on_the_graph(
    deps: Deps, audit_type: str, data: st.DataObject
) -> None:
    steps = data.draw(steps_for(audit_type))
    definition = CATALOGUE.current(audit_type).definition
    declared = {
        (src, t.trigger): t for (src, _), t in CATALOGUE.current(audit_type).by_source.items()
    }
    reference = audits.start_audit(
        deps,
        audit_type=audit_type,
        theme="Property",
        lead=email("chair"),
        actor=email("coordinator"),
        agencies=["police"],
    ).reference
    for kind, what, who, reason in steps:
        if kind == "work":
            assert isinstance(what, int)  # a work step draws which piece of work to do
            _work(deps, reference, audit_type, what)
            continue
        trigger, actor = str(what), str(who)
        before = queries.audit_status(deps, audit=reference, as_person=actor)
        preview = {s.trigger: s for s in before.next_steps}
        try:
            fired = audits.fire(deps, audit=reference, trigger=trigger, actor=actor, reason=reason)
        except TransitionNotAllowed:
            assert (before.state, trigger) not in declared and trigger not in preview
            continue
        except GateBlocked as blocked:
            # The preview ran with a placeholder reason, so only reason_given may differ.
            shown = [f for f in preview[trigger].blocked_by if f.gate != "reason_given"]
            assert [f for f in blocked.failures if f.gate != "reason_given"] == shown
            continue
        event(f"moved by {trigger}")
        transition = declared[(before.state, trigger)]
        assert not [f for f in preview[trigger].blocked_by if f.gate != "reason_given"]
        assert fired.to_state == (before.state if transition.internal else transition.dest)
    history = queries.history(deps, audit=reference)
    assert [e.version for e in history] == list(range(1, len(history) + 1))
    for change in history[1:]:
        if change.from_state != change.to_state:
            assert (change.from_state, change.trigger) in declared
    assert history[-1].to_state in {s.name for s in definition.states}
