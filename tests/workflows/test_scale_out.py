"""Scale-out on real engines: Prefect's server on PostgreSQL (behind its login), the engine on
PostgreSQL, and two process workers on one work pool. Twenty programme entries' audits
started at once each happen once."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import func, select

from oscp_flow.prefect_env import prefect_environment
from oscp_flow.settings import Settings
from oscp_flow.supervisor import Supervisor, http_ok
from states.clock import SystemClock
from states.persistence import tables as t
from states.persistence.db import make_engine
from states.persistence.migrate import upgrade
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services.deps import Deps
from states.services.programme import list_entries, load_programme
from tests.support.partnership import email, seed_partnership
from tests.support.ports import free_port
from tests.support.prefect_api import finished
from tests.support.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

AUDITS = 20
ME = [sys.executable, "-m", "oscp_flow"]


@dataclass
class Cluster:
    api: str
    deps: Deps
    supervisor: Supervisor
    login: tuple[str, str]


def programme_of(folder: Path, entries: int) -> Path:
    """A programme of ``entries`` dip samples: an entry has one audit, so each start needs one."""
    rows = "".join(
        f"""
  - key: core-groups-{n:02d}
    timeframe: Spring 26
    due: {{year: 2026, month: 5}}
    theme: Core groups {n:02d}
    audit_type: dip_sample
    rationale: ""
    evidence: [Core group minutes]
    report_author: OSCP
    sign_off: ""
    impact_monitoring: ""
"""
        for n in range(entries)
    )
    path = folder / "programme.yaml"
    path.write_text(
        "schema_version: 1\nprogramme: Scale-out\nperiod: {from: 2025-04-01, to: 2028-03-31}\n"
        f"entries:{rows}"
    )
    return path


@pytest.fixture
def prefect_database(postgres_url: str) -> Iterator[str]:
    name = f"oscp_prefect_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield postgres_url.rsplit("/", 1)[0].replace("postgresql:", "postgresql+asyncpg:") + (
            f"/{name}"
        )
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def engine_schema(postgres_url: str) -> Iterator[str]:
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield postgres_url.replace("postgresql:", "postgresql+psycopg:") + (
            f"?options=-csearch_path%3D{schema}"
        )
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def cluster(
    tmp_path: Path, prefect_database: str, engine_schema: str, catalogue: Catalogue
) -> Iterator[Cluster]:
    port = free_port()
    settings = Settings(
        home=tmp_path,
        database_url=engine_schema,
        prefect_port=port,
        prefect_api_url=f"http://127.0.0.1:{port}/api",
        prefect_database_url=prefect_database,
        prefect_work_pool="oscp-scale",
        prefect_operator=email("coordinator"),
    )
    engine = make_engine(engine_schema)
    upgrade(engine)
    deps = Deps(uow=UnitOfWorkFactory(engine), catalogue=catalogue, clock=SystemClock())
    seed_partnership(deps)
    load_programme(deps, programme_of(tmp_path, AUDITS))
    prefect = prefect_environment(settings)
    env = {
        **os.environ,
        **prefect,
        "OSCP_DATABASE_URL": engine_schema,
        "OSCP_PREFECT_WORK_POOL": "oscp-scale",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", None)
    # Real processes: Prefect's server, and two workers taking runs from one pool.
    supervisor = Supervisor(tmp_path / "logs", env)
    try:
        server = supervisor.start(
            "prefect-server", [sys.executable, "-m", "prefect", "server", "start"]
        )
        supervisor.wait_until(
            server, http_ok(f"{settings.prefect_api_url}/health"), timeout=240, what="server"
        )
        deploy = supervisor.start("deploy", [*ME, "flows", "deploy"])
        assert deploy.process.wait(timeout=120) == 0, deploy.log.read_text()
        supervisor.children.remove(deploy)
        for n in (1, 2):
            supervisor.start(f"w{n}", [*ME, "flows", "worker", "--name", f"w{n}", "--limit", "10"])
        user, _, password = prefect["PREFECT_API_AUTH_STRING"].partition(":")
        yield Cluster(str(settings.prefect_api_url), deps, supervisor, (user, password))
    finally:
        supervisor.stop()
        engine.dispose()


def run_start_audit(client: httpx.Client, deployment: str, n: int) -> str:
    """What the UI's Run button does: create a flow run of the deployment."""
    response = client.post(
        f"/deployments/{deployment}/create_flow_run",
        json={
            "parameters": {
                "programme_entry": f"core-groups-{n:02d}",
                "lead": email("chair"),
                "agencies": ["police", "csc"],
            }
        },
    )
    response.raise_for_status()
    return str(response.json()["id"])


def test_twenty_audits_started_at_once_on_two_workers_each_happen_once(cluster: Cluster) -> None:
    with httpx.Client(base_url=cluster.api, auth=cluster.login, timeout=30) as client:
        deployment = client.get("/deployments/name/start-audit/start-audit").json()["id"]
        with ThreadPoolExecutor(max_workers=AUDITS) as pool:
            run_ids = list(
                pool.map(lambda n: run_start_audit(client, deployment, n), range(AUDITS))
            )
        runs = {run_id: finished(client, run_id, timeout=420) for run_id in run_ids}
        ran_by = _workers_by_run(client, len(run_ids))
    assert {r["state"]["type"] for r in runs.values()} == {"COMPLETED"}
    with cluster.deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(select(t.audit.c.state, t.audit.c.reference)).all()
        starts = uow.connection.execute(
            select(t.event.c.audit_id, func.count()).group_by(t.event.c.audit_id)
        ).all()
        reasons = set(uow.connection.execute(select(t.event.c.reason)).scalars())
    assert {r.state for r in rows} == {"planning"}
    assert len(starts) == AUDITS and {n for _, n in starts} == {1}
    linked = {e.key: e.audit_reference for e in list_entries(cluster.deps)}
    assert sorted(str(v) for v in linked.values()) == sorted(r.reference for r in rows)
    # Each start is recorded as the operator's, via the run that made it.
    assert reasons == {f"via Prefect (flow run {run_id})" for run_id in run_ids}
    for run_id, run in runs.items():
        key = run["parameters"]["programme_entry"]
        assert f"audit:{linked[key]}" in run["tags"], run_id
    # Each run was taken by one worker, and both workers took some (each may hold 10).
    assert set(ran_by) == set(run_ids)
    assert set(ran_by.values()) == {"w1", "w2"}


def _workers_by_run(client: httpx.Client, expected: int) -> dict[str, str]:
    """Flow run id -> the worker that submitted it, from the workers' own events."""
    # Asked again until all are there: the server stores the workers' events a moment after
    # the runs end, and the test reads them through the same HTTP API.

    def all_stored() -> dict[str, str]:
        events = client.post(
            "/events/filter",
            json={
                "filter": {"event": {"name": ["prefect.worker.submitted-flow-run"]}},
                "limit": 50,
            },
        ).json()["events"]
        ran_by = {
            related["prefect.resource.id"].removeprefix("prefect.flow-run."): event["resource"][
                "prefect.resource.name"
            ]
            for event in events
            for related in event["related"]
            if related.get("prefect.resource.role") == "flow-run"
        }
        assert len(ran_by) >= expected, ran_by
        return ran_by

    return eventually(all_stored, 30, every=1)
