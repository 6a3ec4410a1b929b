"""``oscp body show|add-member|remove-member``: the bodies that decide (the learning hub, the
statutory partners, the groups the programme reports to) and who sits on them. Adding and
changing a body itself is ``oscp directory add|change body``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from oscp_flow.cli.common import AsPerson, acting_person, body_app, out, run_action
from oscp_flow.cli.directory import Reason, done, table_of, yes_no

if TYPE_CHECKING:
    from states.services.bodies import BodyView
    from states.services.deps import Deps


@body_app.command("show")
def body_show(
    code: Annotated[
        str | None, typer.Argument(help="One body's code; all of them if left out.")
    ] = None,
    as_person: AsPerson = None,
) -> None:
    """The bodies, or one body with its members (coordinators only)."""
    from states.services import bodies

    viewer = acting_person(as_person)

    def action(deps: Deps) -> None:
        found = bodies.views(deps, viewer=viewer, code=code)
        if code is None:
            _list(found)
        else:
            _members(found[0])

    run_action(action)


def _list(found: list[BodyView]) -> None:
    if not found:
        out.print("There are no bodies yet; add one with `oscp directory add body`.")
        return
    table = table_of("Bodies", "Code", "Name", "Kind", "Members", "Active")
    for body in found:
        table.add_row(
            body.code, body.name, body.kind.value, str(len(body.members)), yes_no(body.active)
        )
    out.print(table)


def _members(body: BodyView) -> None:
    state = "" if body.active else " (deactivated)"
    table = table_of(f"{body.name}{state}: {body.kind.value}", "Name", "E-mail", "Agency", "Active")
    for member in body.members:
        table.add_row(member.name, member.email, member.agency or "", yes_no(member.active))
    out.print(table)
    out.print(f"{len(body.members)} member{'' if len(body.members) == 1 else 's'}.")


@body_app.command("add-member")
def body_add_member(code: str, email: str, reason: Reason, as_person: AsPerson = None) -> None:
    """Add a person to a body (a statutory partners body: one lead per partner)."""
    from states.services import bodies

    actor = acting_person(as_person)
    run_action(
        lambda deps: done(
            bodies.add_member(deps, body=code, person=email, actor=actor, reason=reason).name,
            f"{email} added",
        )
    )


@body_app.command("remove-member")
def body_remove_member(code: str, email: str, reason: Reason, as_person: AsPerson = None) -> None:
    """Take a person off a body."""
    from states.services import bodies

    actor = acting_person(as_person)
    run_action(
        lambda deps: done(
            bodies.remove_member(deps, body=code, person=email, actor=actor, reason=reason).name,
            f"{email} removed",
        )
    )
