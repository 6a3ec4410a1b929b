"""A member's seats and an audit's rule are read once only inside ``sign_off.remembered``
(a link opened, a decision taken), and read afresh everywhere else: a member who leaves a
body is refused at once, whatever was read before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import event

from states.persistence.store import AuditStore
from states.services import bodies, sign_off
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import email


@contextmanager
def statements(deps: Deps) -> Iterator[list[str]]:
    sent: list[str] = []

    def listen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(deps.uow.engine, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(deps.uow.engine, "before_cursor_execute", listen)


def _seats_twice(deps: Deps, reference: str, *, remembered: bool) -> tuple[int, int, int]:
    """How many seats ``lhm`` holds, asked twice in one unit of work, and the statements."""
    with deps.uow(readonly=True) as uow, statements(deps) as sent:
        c = uow.connection
        row = AuditStore(c).load_audit(reference)
        definition = deps.catalogue.current("mace").definition
        person = AuditStore(c).load_actor(email("lhm")).id
        sent.clear()
        scope: AbstractContextManager[None] = sign_off.remembered() if remembered else nullcontext()
        with scope:
            rule = sign_off.audit_rule(c, definition, row.id)
            assert rule is not None
            first = len(sign_off.seats(c, rule, person))
            again = sign_off.audit_rule(c, definition, row.id)
            assert again == rule
            second = len(sign_off.seats(c, again, person))
        return first, second, len(sent)


def test_inside_remembered_each_is_read_once(partnership: Deps) -> None:
    reference = drive(partnership, "mace", to="awaiting_sign_off").reference
    assert _seats_twice(partnership, reference, remembered=True) == (1, 1, 2)
    assert _seats_twice(partnership, reference, remembered=False) == (1, 1, 4)


def test_a_member_who_leaves_is_seen_gone_after_the_scope(partnership: Deps) -> None:
    reference = drive(partnership, "mace", to="awaiting_sign_off").reference
    assert _seats_twice(partnership, reference, remembered=True)[:2] == (1, 1)
    bodies.remove_member(
        partnership,
        body="nv_hub",
        person=email("lhm"),
        actor=email("coordinator"),
        reason="Left the learning hub",
    )
    assert _seats_twice(partnership, reference, remembered=True)[:2] == (0, 0)
