"""Whole-graph rules, checked on models built in Python rather than read from YAML."""

from __future__ import annotations

from typing import Any

import pytest

from states.definitions.gate_names import DECLARED as GATES
from states.definitions.graph import check_graph, expand_sources, main_path, reachable
from states.definitions.loader import load_directory
from states.definitions.model import AuditTypeDefinition, TransitionDef
from states.definitions.yaml_source import PathPart
from tests.support.paths import DEFINITIONS

Found = list[tuple[tuple[PathPart, ...], str]]


def state(name: str, *, initial: bool = False, final: bool = False, **extra: Any) -> dict[str, Any]:
    return {"name": name, "title": name.title(), "initial": initial, "final": final, **extra}


def move(
    trigger: str,
    source: str | list[str],
    dest: str | None = None,
    *,
    internal: bool = False,
    roles: tuple[str, ...] = ("coordinator",),
    gates: tuple[str, ...] = (),
) -> dict[str, Any]:
    t: dict[str, Any] = {
        "trigger": trigger,
        "title": trigger.replace("_", " ").capitalize(),
        "source": source,
        "internal": internal,
        "roles": list(roles),
        "gates": list(gates),
    }
    if dest is not None:
        t["dest"] = dest
    return t


def definition(
    states: list[dict[str, Any]], transitions: list[dict[str, Any]], **extra: Any
) -> AuditTypeDefinition:
    data: dict[str, Any] = {
        "schema_version": 1,
        "audit_type": "graph_test",
        "title": "Graph test",
        "description": "Built in Python for one graph rule.",
        "framework_reference": "Section 1",
        "tool": "mace_case_file",
        "roles": ["coordinator", "chair"],
        "states": states,
        "transitions": transitions,
        **extra,
    }
    return AuditTypeDefinition.model_validate(data)


FOUR_STATES = [
    state("planning", initial=True),
    state("review"),
    state("closed", final=True),
    state("withdrawn", final=True),
]


def ordered(found: Found) -> list[tuple[tuple[PathPart, ...], str]]:
    return sorted(found, key=repr)


# --- valid graphs ------------------------------------------------------------------------


def test_a_valid_graph_has_no_problems() -> None:
    model = definition(
        FOUR_STATES,
        [
            move("review", "planning", "review"),
            move("close", "review", "closed"),
            move("withdraw", "*", "withdrawn"),
        ],
    )
    assert check_graph(model) == []


# --- the wildcard source -----------------------------------------------------------------


def test_wildcard_expands_to_the_non_final_states_only() -> None:
    model = definition(FOUR_STATES, [move("close", "planning", "closed")])
    assert expand_sources(model, ("*",)) == ("planning", "review")
    assert expand_sources(model, ("review", "planning")) == ("review", "planning")


def test_wildcard_transition_is_not_a_transition_out_of_a_final_state() -> None:
    model = definition(
        FOUR_STATES,
        [
            move("review", "planning", "review"),
            move("close", "review", "closed"),
            move("withdraw", "*", "withdrawn"),
            move("note", "*", internal=True),
        ],
    )
    assert check_graph(model) == []


def test_naming_a_final_state_as_source_is_refused() -> None:
    model = definition(
        FOUR_STATES,
        [
            move("review", "planning", "review"),
            move("close", "review", "closed"),
            move("withdraw", ["review", "closed"], "withdrawn"),
        ],
    )
    assert check_graph(model) == [
        (("transitions", 2, "source"), "'withdraw' leaves final state 'closed'")
    ]


def test_wildcard_trigger_clashes_with_the_same_trigger_from_a_named_state() -> None:
    model = definition(
        FOUR_STATES,
        [
            move("review", "planning", "review"),
            move("close", "*", "closed"),
            move("close", "review", "withdrawn"),
        ],
    )
    assert check_graph(model) == [
        (("transitions", 2, "trigger"), "trigger 'close' is declared twice from 'review'")
    ]


def test_a_state_left_only_by_the_wildcard_withdrawal_is_refused() -> None:
    """'stuck' has no transition of its own: the wildcard withdraw stops an audit there, but
    nothing finishes it."""
    moves = [
        move("review", "planning", "review"),
        move("close", "review", "closed"),
        move("park", "review", "stuck"),
        move("withdraw", "*", "withdrawn"),
    ]
    assert check_graph(definition([*FOUR_STATES, state("stuck")], moves)) == [
        (
            ("states", 4, "name"),
            "state 'stuck' can only end by withdrawal; give it a way on towards closing the audit",
        )
    ]
    resumed = [*moves, move("resume", "stuck", "review")]
    assert check_graph(definition([*FOUR_STATES, state("stuck")], resumed)) == []


def test_a_state_left_only_into_a_withdrawn_state_is_refused() -> None:
    """Withdrawal by its own transition (not '*') is still no way to finish."""
    model = definition(
        [
            state("planning", initial=True),
            state("stuck"),
            state("closed", final=True),
            state("withdrawn", final=True, stage="withdrawn"),
        ],
        [
            move("close", "planning", "closed"),
            move("park", "planning", "stuck"),
            move("give_up", "stuck", "withdrawn"),
        ],
    )
    assert [message for _, message in check_graph(model)] == [
        "state 'stuck' can only end by withdrawal; give it a way on towards closing the audit"
    ]


def test_wildcard_must_stand_alone() -> None:
    """The model's types already refuse this, so build it past validation."""
    model = definition(FOUR_STATES, [move("close", "planning", "closed")])
    mixed = model.transitions[0].model_copy(update={"source": ["*", "planning"]})
    assert isinstance(mixed, TransitionDef)
    broken = model.model_copy(update={"transitions": [mixed]})
    found = check_graph(broken)
    assert (("transitions", 0, "source"), "'*' must stand alone as the source") in found


# --- reachability ------------------------------------------------------------------------


def test_internal_transitions_are_no_way_out_of_a_state() -> None:
    model = definition(
        [state("planning", initial=True), state("review"), state("closed", final=True)],
        [
            move("review", "planning", "review"),
            move("close", "planning", "closed"),
            move("note", "review", internal=True),
            move("remark", "*", internal=True),
        ],
    )
    assert check_graph(model) == [
        (("states", 1, "name"), "state 'review' cannot reach any final state")
    ]


def test_internal_transitions_reach_nothing() -> None:
    """Only an internal transition leaves the initial state: nothing is reached, nothing left."""
    model = definition(
        [state("planning", initial=True), state("closed", final=True)],
        [move("note", "planning", internal=True)],
    )
    assert check_graph(model) == [
        (("states", 0, "name"), "state 'planning' cannot reach any final state"),
        (("states", 1, "name"), "state 'closed' cannot be reached from 'planning'"),
    ]


def test_every_unreachable_and_trapped_state_is_reported() -> None:
    model = definition(
        [
            state("planning", initial=True),
            state("limbo"),
            state("orphan"),
            state("dead_end"),
            state("island"),
            state("closed", final=True),
            state("never_closed", final=True),
        ],
        [
            move("close", "planning", "closed"),
            move("park", "planning", "limbo"),
            move("sink", "limbo", "dead_end"),
            move("rescue", "orphan", "closed"),
        ],
    )
    assert check_graph(model) == [
        (("states", 1, "name"), "state 'limbo' cannot reach any final state"),
        (("states", 2, "name"), "state 'orphan' cannot be reached from 'planning'"),
        (("states", 3, "name"), "state 'dead_end' cannot reach any final state"),
        (("states", 4, "name"), "state 'island' cannot be reached from 'planning'"),
        (("states", 6, "name"), "state 'never_closed' cannot be reached from 'planning'"),
    ]


def test_a_loop_with_an_exit_is_fine() -> None:
    model = definition(
        FOUR_STATES,
        [
            move("review", "planning", "review"),
            move("revise", "review", "planning"),
            move("close", "review", "closed"),
            move("withdraw", "*", "withdrawn"),
        ],
    )
    assert check_graph(model) == []


def test_a_loop_without_an_exit_is_a_trap() -> None:
    model = definition(
        [state("planning", initial=True), state("a"), state("b"), state("closed", final=True)],
        [
            move("close", "planning", "closed"),
            move("enter", "planning", "a"),
            move("ping", "a", "b"),
            move("pong", "b", "a"),
        ],
    )
    assert check_graph(model) == [
        (("states", 1, "name"), "state 'a' cannot reach any final state"),
        (("states", 2, "name"), "state 'b' cannot reach any final state"),
    ]


def test_reachability_waits_until_every_name_resolves() -> None:
    """An unknown dest makes reachability meaningless, so only the name is reported."""
    model = definition(
        [state("planning", initial=True), state("orphan"), state("closed", final=True)],
        [move("close", "planning", "closed"), move("drift", "orphan", "nowhere")],
    )
    assert check_graph(model) == [
        (("transitions", 1, "dest"), "destination state 'nowhere' is not declared")
    ]


# --- gates -------------------------------------------------------------------------------


SHARES = {
    "description": "The framework's next steps.",
    "items": [{"id": "website", "title": "On the website", "channels": ["partnership_website"]}],
}


@pytest.mark.parametrize("name", sorted(n for n, spec in GATES.items() if spec.needs))
def test_gate_with_its_setting_is_accepted(name: str) -> None:
    settings = {
        "case_window_months": 12,
        "sign_off": {"roles": ["chair"], "quorum": 1},
        "dissemination": SHARES,
    }
    needs = GATES[name].needs
    assert needs is not None
    transitions = [move("close", "planning", "closed", gates=(name,))]
    stage: dict[str, Any] = {}
    if needs == "sign_off":  # a signing-off state, whose approval is gated by the quorum
        stage = {"stage": "signing_off"}
        if name != "sign_off_quorum":
            transitions.append(move("approve", "planning", "closed", gates=("sign_off_quorum",)))
    if needs == "dissemination":  # the way on from a state that shares learning
        stage = {"stage": "disseminating"}
    states = [state("planning", initial=True, **stage), state("closed", final=True)]
    assert check_graph(definition(states, transitions, **{needs: settings[needs]})) == []
    assert check_graph(definition(states, transitions)) == [
        (
            ("transitions", i, "gates", 0),
            f"gate '{t['gates'][0]}' needs '{needs}' set in the definition",
        )
        for i, t in enumerate(transitions)
    ]


# --- everything at once ------------------------------------------------------------------


def test_every_problem_is_reported_not_just_the_first() -> None:
    reminders = {
        "remind": ["auditor"],
        "overdue": [{"after_working_days": 2, "notify": ["agency_lead"]}],
    }
    model = definition(
        [
            state("planning", initial=True),
            state("planning"),
            state(
                "review",
                deadline={
                    "name": "review_due",
                    "working_days": 5,
                    "owed_by": "chair",
                    "reminders": reminders,
                },
            ),
            state("opened", initial=True, final=True),
            state(
                "closed",
                final=True,
                deadline={"name": "closure_due", "working_days": 5, "owed_by": "chair"},
            ),
        ],
        [
            move("close", "planing", "closed", roles=("auditor",)),
            move("reopen", "closed", "planning"),
            move("finish", "planning", "nowhere", gates=("bogus", "cases_within_window")),
            move("note", "planning", "planning", internal=True),
            move("hand_over", "planning"),
            move("finish", "planning", "closed"),
        ],
        roles=["coordinator", "chair", "caseworker"],
        sign_off={"roles": ["statutory_partner"], "quorum": 1},
    )
    gates = ", ".join(GATES)
    roles = (
        "coordinator, chair, auditor, agency_lead, strategic_lead, learning_hub_member, "
        "statutory_partner, sign_off_member, system"
    )
    expected: Found = [
        (("states", 1, "name"), "state 'planning' is declared twice"),
        (("states", 3), "state 'opened' cannot be both initial and final"),
        (("states", 4, "deadline"), "final state 'closed' cannot have a deadline"),
        (("states",), "exactly one state must be initial (found: planning, opened)"),
        (("roles", 2), f"'caseworker' is not a role of the partnership ({roles})"),
        (("transitions", 0, "roles", 0), "role 'auditor' is not declared in roles"),
        (("sign_off", "roles", 0), "role 'statutory_partner' is not declared in roles"),
        (
            ("states", 2, "deadline", "reminders", "remind", 0),
            "role 'auditor' is not declared in roles",
        ),
        (
            ("states", 2, "deadline", "reminders", "overdue", 0, "notify", 0),
            "role 'agency_lead' is not declared in roles",
        ),
        (("transitions", 0, "source"), "source state 'planing' is not declared"),
        (("transitions", 1, "source"), "'reopen' leaves final state 'closed'"),
        (("transitions", 2, "dest"), "destination state 'nowhere' is not declared"),
        (("transitions", 2, "gates", 0), f"gate 'bogus' is not known (known: {gates})"),
        (
            ("transitions", 2, "gates", 1),
            "gate 'cases_within_window' needs 'case_window_months' set in the definition",
        ),
        (("transitions", 3, "dest"), "an internal transition keeps the state, so it takes no dest"),
        (
            (
                "transitions",
                4,
            ),
            "dest is required (or mark the transition internal)",
        ),
        (("transitions", 5, "trigger"), "trigger 'finish' is declared twice from 'planning'"),
    ]
    assert ordered(check_graph(model)) == ordered(expected)


def test_no_final_state_is_reported_with_the_other_state_problems() -> None:
    model = definition(
        [state("planning"), state("review")],
        [move("review", "planning", "review")],
    )
    assert ordered(check_graph(model)) == ordered(
        [
            (("states",), "exactly one state must be initial (found: none)"),
            (("states",), "at least one state must be final"),
        ]
    )


# --- stages ------------------------------------------------------------------------------
# Each check has its corpus file in broken_definitions/; these are the cases a file with one
# problem cannot show.

SIGN_OFF = {"roles": ["chair"], "quorum": 1}


def test_every_shipped_state_declares_its_stage() -> None:
    for audit_type, model in load_directory(DEFINITIONS).items():
        undeclared = [s.name for s in model.states if s.stage is None]
        assert undeclared == [], audit_type


def test_signing_off_without_the_block_or_a_way_out_says_both() -> None:
    model = definition(
        [state("planning", initial=True, stage="signing_off"), state("closed", final=True)],
        [move("close", "planning", "closed")],
    )
    assert ordered(check_graph(model)) == ordered(
        [
            (
                ("states", 0, "stage"),
                "state 'planning' signs off, so it needs a way out gated by sign_off_quorum",
            ),
            (
                ("states", 0, "stage"),
                "state 'planning' signs off, so the definition needs a sign_off block (who "
                "signs off, and how many)",
            ),
        ]
    )


def test_a_refusal_leads_one_way() -> None:
    model = definition(
        [*FOUR_STATES[:1], state("review", stage="signing_off"), *FOUR_STATES[2:]],
        [
            move("submit", "planning", "review"),
            move("approve", "review", "closed", gates=("sign_off_quorum",)),
            move("refuse", "review", "planning", gates=("sign_off_refused",)),
            move("stop", "review", "withdrawn", gates=("sign_off_refused",)),
        ],
        sign_off=SIGN_OFF,
    )
    assert check_graph(model) == [
        (
            ("states", 1, "stage"),
            "state 'review' has 2 ways out gated by sign_off_refused; a refusal must lead one way",
        )
    ]


TWO_APPROVALS = (
    ("states", 1, "stage"),
    "state 'review' has 2 ways out gated by sign_off_quorum; an approval must lead one way",
)


@pytest.mark.parametrize(
    ("extra", "why", "also"),
    [
        (
            move("note", "review", internal=True, gates=("sign_off_quorum",)),
            "an internal transition",
            [],
        ),
        # From everywhere: a second approval out of 'review' too.
        (
            move("jump", "*", "closed", gates=("sign_off_quorum",)),
            "'planning' is not",
            [TWO_APPROVALS],
        ),
    ],
    ids=["internal", "wildcard"],
)
def test_sign_off_gates_stay_on_the_ways_out_of_signing_off(
    extra: dict[str, Any], why: str, also: Found
) -> None:
    transitions = [
        move("submit", "planning", "review"),
        move("approve", "review", "closed", gates=("sign_off_quorum",)),
        move("withdraw", "*", "withdrawn"),
        extra,
    ]
    model = definition(
        [*FOUR_STATES[:1], state("review", stage="signing_off"), *FOUR_STATES[2:]],
        transitions,
        sign_off=SIGN_OFF,
    )
    message = f"gate 'sign_off_quorum' may only gate a way out of a signing_off state ({why})"
    assert ordered(check_graph(model)) == ordered(
        [(("transitions", 3, "gates", 0), message), *also]
    )


def test_a_final_state_is_closed_or_withdrawn() -> None:
    model = definition(
        [state("planning", initial=True), state("closed", final=True, stage="disseminating")],
        [move("close", "planning", "closed")],
    )
    assert check_graph(model) == [
        (("states", 1, "stage"), "final state 'closed' can only be at stage closed or withdrawn")
    ]


def test_escalation_gates_need_both_escalation_triggers() -> None:
    model = definition(
        [state("planning", initial=True), state("closed", final=True)],
        [move("close", "planning", "closed", gates=("escalations_assured",))],
    )
    assert check_graph(model) == [
        (
            ("transitions",),
            f"immediate-risk concerns need the trigger '{name}', internal and allowed from "
            "every open state",
        )
        for name in ("raise_immediate_risk", "record_assurance")
    ]


def test_escalation_triggers_may_list_every_open_state() -> None:
    model = definition(
        FOUR_STATES,
        [
            move("review", "planning", "review"),
            move("close", "review", "closed", gates=("escalations_assured",)),
            move("withdraw", "*", "withdrawn"),
            move("raise_immediate_risk", ["planning", "review"], internal=True),
            move("record_assurance", "planning", internal=True),
            move("record_assurance", "review", internal=True),
        ],
    )
    assert check_graph(model) == []


# --- paths -------------------------------------------------------------------------------

PATHS = definition(
    [*FOUR_STATES, state("extra")],
    [
        move("review", "planning", "review"),
        move("detour", "review", "extra"),
        move("finish", "extra", "closed"),
        move("close", "review", "closed"),
        move("withdraw", "*", "withdrawn"),
        move("note", "*", internal=True),
    ],
)


def test_reachable_follows_the_ways_out_and_back() -> None:
    assert reachable(PATHS, {"review"}) == {"review", "extra", "closed", "withdrawn"}
    assert reachable(PATHS, {"review"}, everywhere=False) == {"review", "extra", "closed"}
    assert reachable(PATHS, {"extra"}, backward=True) == {"extra", "review", "planning"}
    assert reachable(PATHS, {"withdrawn"}, backward=True) == {
        "withdrawn",
        "planning",
        "review",
        "extra",
    }


def test_main_path_is_the_longest_route_by_the_audits_own_steps() -> None:
    path = main_path(PATHS, "planning")
    assert [(s.trigger, s.dest) for s in path] == [
        ("review", "review"),
        ("detour", "extra"),
        ("finish", "closed"),
    ]
    assert main_path(PATHS, "review", "closed")[0].trigger == "detour"
    with pytest.raises(ValueError, match="no path from planning to withdrawn"):
        main_path(PATHS, "planning", "withdrawn")
