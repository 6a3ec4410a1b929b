"""``oscp meeting schedule|move|cancel|attendance``: the audit's multi-agency discussion.

Dates and times are London's (the partnership's own); attendees are named by e-mail, one
``--attendee`` each, and must be the audit's chair, its assigned auditors or its agencies'
audit leads. The place goes into e-mails and calendar files: never a case detail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import TYPE_CHECKING, Annotated

import typer

from oscp_flow.cli.common import AsPerson, acting_person, app, out, run_action

if TYPE_CHECKING:
    from states.services.deps import Deps
    from states.services.meetings import Arranged, Plan

meeting_app = typer.Typer(no_args_is_help=True, help="The audit's discussion meeting.")
app.add_typer(meeting_app, name="meeting")

Day = Annotated[str, typer.Option("--date", help="London date, e.g. 2026-10-23.")]
Start = Annotated[str, typer.Option("--start", help="London start time, e.g. 10:00.")]
End = Annotated[str, typer.Option("--end", help="London end time, e.g. 12:00.")]
Place = Annotated[
    str | None, typer.Option(help="Room and building; never a case detail (it is e-mailed).")
]
Link = Annotated[str | None, typer.Option("--link", help="The meeting's https:// address.")]
Attendees = Annotated[
    list[str], typer.Option("--attendee", help="E-mail of someone invited (repeat it).")
]


def _plan(
    day: str, start: str, end: str, *, place: str | None, link: str | None, who: list[str]
) -> Plan:
    from states.errors import InvalidInput
    from states.services.meetings import Plan

    try:
        when = date.fromisoformat(day), time.fromisoformat(start), time.fromisoformat(end)
    except ValueError:
        raise InvalidInput("Give --date as 2026-10-23 and --start and --end as 10:00.") from None
    return Plan(*when, place=place, online_link=link, attendees=tuple(who))


def _said(what: str, done: Arranged) -> None:
    out.print(
        f"{what} (sequence {done.sequence}): {done.invited} invited, {done.updated} told of "
        f"the change, {done.cancelled} sent a cancellation."
    )


@meeting_app.command("schedule")
def schedule(
    audit: str,
    *,
    day: Day,
    start: Start,
    end: End,
    attendee: Attendees,
    place: Place = None,
    link: Link = None,
    as_person: AsPerson = None,
) -> None:
    """Schedule AUDIT's discussion and e-mail each attendee the invitation."""
    _arrange(
        audit,
        as_person,
        lambda: _plan(day, start, end, place=place, link=link, who=attendee),
        moving=False,
    )


@meeting_app.command("move")
def move(
    audit: str,
    *,
    day: Day,
    start: Start,
    end: End,
    attendee: Attendees,
    place: Place = None,
    link: Link = None,
    as_person: AsPerson = None,
) -> None:
    """Change AUDIT's scheduled discussion: the whole new time, place and list."""
    _arrange(
        audit,
        as_person,
        lambda: _plan(day, start, end, place=place, link=link, who=attendee),
        moving=True,
    )


def _arrange(audit: str, as_person: str | None, typed: Callable[[], Plan], *, moving: bool) -> None:
    """Schedule (or, ``moving``, change) the discussion as typed (read inside the action, so
    a date or time mistyped is the command's one-sentence refusal)."""
    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        from states.services import meetings

        service, said = (meetings.move, "Changed") if moving else (meetings.schedule, "Scheduled")
        _said(said, service(deps, audit=audit, actor=actor, plan=typed()))

    run_action(action)


@meeting_app.command("cancel")
def cancel(
    audit: str,
    reason: Annotated[str, typer.Option(help="Kept in the history; never e-mailed.")],
    as_person: AsPerson = None,
) -> None:
    """Cancel AUDIT's scheduled discussion; everyone invited is sent the cancellation."""
    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        from states.services.meetings import cancel as cancel_meeting

        _said("Cancelled", cancel_meeting(deps, audit=audit, actor=actor, reason=reason))

    run_action(action)


@meeting_app.command("attendance")
def attendance(
    audit: str,
    attended: Annotated[
        list[str], typer.Option("--attended", help="E-mail of someone who came (repeat it).")
    ],
    as_person: AsPerson = None,
) -> None:
    """Record who attended AUDIT's discussion (everyone else invited did not)."""
    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        from states.services.meetings import record_attendance

        record_attendance(deps, audit=audit, actor=actor, attended=attended)
        out.print(f"Recorded: {len(set(attended))} attended; the discussion is held.")

    run_action(action)
