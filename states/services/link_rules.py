"""What every kind of e-mailed link shares: refusals written down, and expiry counted in
working days to close of business."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from states import tokens
from states.calendar import close_of_business
from states.clock import LONDON, as_utc
from states.errors import TokenAlreadyUsed, TokenError, TokenExpired, TokenRevoked
from states.services.deps import Deps

OUTCOMES: dict[type[TokenError], str] = {
    TokenAlreadyUsed: "replayed",
    TokenExpired: "expired",
    TokenRevoked: "revoked",
}


@contextmanager
def recording_refusals(deps: Deps, token: str) -> Iterator[None]:
    """A refused use is written down in its own transaction (the refused one rolls back)."""
    try:
        yield
    except TokenError as refusal:
        outcome = OUTCOMES.get(type(refusal), "unknown")
        with deps.uow() as uow:
            try:
                token_id: int | None = tokens.find(uow.connection, token).id
            except TokenError:
                token_id = None
            tokens.record_refusal(uow.connection, token_id, outcome, deps.clock.now())
            uow.commit()
        raise


def working_days_after(deps: Deps, instant: datetime, days: int) -> datetime:
    day = as_utc(instant).astimezone(LONDON).date()
    return close_of_business(deps.calendar.add_working_days(day, days))
