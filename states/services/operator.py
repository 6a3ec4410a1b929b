"""What a request with no person behind it may do, and as whom.

A run started through Prefect (its Run form or its API) carries no person: whoever holds the
server's login could type anyone's name into it. So such a run acts as one configured
operator, who must be a coordinator, and takes only operational steps: issuing a tool,
opening and closing rounds of returns, moving a signed-off audit on to dissemination and
impact monitoring. Decisions that belong to a person (agreeing terms, choosing the sample
and the auditors, moderating, signing off or refusing, assurance, sending work back to an
agency, withdrawing or closing an audit) are taken by that person where they sign in or by
their e-mailed link, and each needs that person's own reason where the definition asks one.
"""

from __future__ import annotations

from typing import Literal, get_args

from states.errors import NotOperational
from states.persistence.store import AuditStore
from states.rules.policy import Permission, require
from states.services.deps import Deps

OperationalTrigger = Literal[
    "issue_tool",
    "open_returns",
    "close_returns",
    "open_pre_course_returns",
    "close_pre_course_returns",
    "open_post_course_returns",
    "close_post_course_returns",
    "open_follow_up_returns",
    "close_follow_up_returns",
    "open_proposals",
    "close_proposals",
    "start_dissemination",
    "start_impact_monitoring",
]
OPERATIONAL_TRIGGERS: tuple[str, ...] = get_args(OperationalTrigger)


def require_operational(trigger: str) -> None:
    if trigger not in OPERATIONAL_TRIGGERS:
        raise NotOperational(trigger=trigger, allowed=OPERATIONAL_TRIGGERS)


def require_operator(deps: Deps, operator: str) -> str:
    """The operator's e-mail, once the directory says they are a coordinator: a name that
    is not in the directory, or someone with other roles, acts as nobody."""
    with deps.uow(readonly=True) as uow:
        who = AuditStore(uow.connection).load_actor(operator)
    require(
        who.roles,
        Permission.OPERATE,
        refusal=f"{who.name} is not a coordinator, so cannot be the operator that runs started "
        "through Prefect act as; name a coordinator instead.",
    )
    return operator
