"""Whether a record that an item was shared can be kept: the item is one the audit's type
declares, the channel one declared for that item, and the day a real one.

The day is when it went out, so it may be any day up to today (a briefing given last week is
recorded this week), never a day still to come: a record of sharing that has not happened
would open the way to impact monitoring early.
"""

from __future__ import annotations

from datetime import date

from states.definitions.dissemination import DisseminationDef


def _either(names: list[str]) -> str:
    words = [f"'{n}'" for n in names]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def refusal(
    plan: DisseminationDef | None, *, item: str, channel: str, on: date, today: date
) -> str | None:
    """One sentence saying why the record cannot be kept, or ``None`` when it can."""
    if plan is None:
        return (
            "This audit started before its type declared what it must share, so there is "
            "nothing to record; its way on does not wait for it."
        )
    known = [i.id for i in plan.items]
    if item not in known:
        return f"This audit does not share '{item}'; it shares {_either(known)}."
    declared = plan.item(item)
    allowed = [str(c) for c in declared.channels]
    if channel not in allowed:
        return (
            f"{declared.title} ({item}) is shared by {_either(allowed)}, not by "
            f"'{channel}'; record the channel it went by."
        )
    if on > today:
        return (
            f"The day it was shared ({on:%d %B %Y}) cannot be in the future; record it on or "
            f"after the day it goes out (today is {today:%d %B %Y})."
        )
    return None
