"""A start delivered twice (a retried flow run) makes one audit, even when both race."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from states.persistence import tables as t
from states.services import audits
from states.services.deps import Deps
from tests.support.partnership import email


def _start(deps: Deps, key: str | None) -> str:
    return audits.start_audit(
        deps,
        audit_type="dip_sample",
        theme="Core groups",
        lead=email("chair"),
        actor=email("coordinator"),
        agencies=("police",),
        request_key=key,
    ).reference


def _audits(deps: Deps) -> int:
    with deps.uow(readonly=True) as uow:
        return int(uow.connection.execute(select(func.count()).select_from(t.audit)).scalar_one())


def test_the_same_request_key_returns_the_same_audit(partnership: Deps) -> None:
    first = _start(partnership, "run-1")
    assert _start(partnership, "run-1") == first
    assert _start(partnership, "run-2") != first
    assert _start(partnership, None) != _start(partnership, None)
    assert _audits(partnership) == 4


def test_racing_deliveries_of_one_request_make_one_audit(partnership: Deps) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        references = set(pool.map(lambda _: _start(partnership, "run-race"), range(16)))
    assert len(references) == 1
    assert _audits(partnership) == 1
    with partnership.uow(readonly=True) as uow:
        participations = uow.connection.execute(
            select(func.count()).select_from(t.participation)
        ).scalar_one()
    assert participations == 1


def test_first_starts_of_a_type_racing_each_start_their_own_audit(partnership: Deps) -> None:
    """Twenty coordinators' requests at once on a new engine: the type's definition and tool
    snapshots are written by whichever start is first, and no start fails for it."""
    with ThreadPoolExecutor(max_workers=10) as pool:
        references = set(pool.map(lambda n: _start(partnership, f"run-{n}"), range(20)))
    assert len(references) == 20
    assert _audits(partnership) == 20
