"""Finding 1 (High), Prefect impersonation: anyone who could reach Prefect acted as anyone.

Prefect's server, started as ``oscp up`` starts it, now refuses a caller without its login
and answers cross-origin calls for its own UI only; a run never acts as a person named in its
parameters (Prefect refuses a parameter the flow does not take, even when the caller turns
the server's check of parameters off): it acts as the configured operator and the history
says "via Prefect"; a person's decision (withdrawing, signing off, ...) cannot be taken
through Prefect at all; and no parameter carries free text. One real server and one flow
runner serve the module; the rules behind them are tested on both stores.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from oscp_flow.prefect_env import prefect_environment
from oscp_flow.settings import PROJECT_ROOT, Settings
from oscp_flow.supervisor import Supervisor, http_ok
from oscp_flow.wiring import build
from states.errors import GateBlocked, InvalidInput
from states.services import audits, queries
from states.services.deps import Deps
from states.services.programme import list_entries, load_programme
from tests.support.partnership import email, person_name, seed_partnership
from tests.support.ports import free_port
from tests.support.prefect_api import finished, prefect_client

COORDINATOR, CHAIR = email("coordinator"), email("chair")
PROGRAMME = PROJECT_ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"
ME = [sys.executable, "-m", "oscp_flow"]
FOREIGN = "https://attacker.example.com"
# Prefect's flow engine refuses a parameter the flow does not take before the flow begins,
# and reports the run crashed; a rule of the engine fails it.
REFUSED = {"FAILED", "CRASHED"}
# A person acting, or words a person types: none of these may be a flow parameter.
NEVER_PARAMETERS = {"actor", "coordinator", "reason", "theme", "comment", "text"}
RUN = 120  # seconds a flow run may take to end, on two busy cores


@dataclass
class Served:
    api: str
    ui: str
    deps: Deps
    login: tuple[str, str]

    def client(self) -> httpx.Client:
        return prefect_client(self.api, self.login)


def _registered(api: str, login: tuple[str, str]) -> Any:
    def check() -> bool:
        with httpx.Client(base_url=api, auth=login, timeout=5) as client:
            names = ("start-audit", "advance-audit", "partnership-calendar")
            return all(client.get(f"/deployments/name/{n}/{n}").status_code == 200 for n in names)

    return check


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Prefect's server and the flows, each started as `oscp up` starts them."""
    home = tmp_path_factory.mktemp("prefect-login")
    port = free_port()
    settings = Settings(
        home=home, prefect_port=port, prefect_api_url=f"http://127.0.0.1:{port}/api"
    )
    deps = build(settings)
    seed_partnership(deps)
    load_programme(deps, PROGRAMME)
    prefect = prefect_environment(settings)
    env = {**os.environ, **prefect, "OSCP_PREFECT_OPERATOR": COORDINATOR}
    env |= {"OSCP_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.pop("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", None)
    user, _, password = prefect.get("PREFECT_API_AUTH_STRING", "").partition(":")
    login = (user, password)
    # Real processes: Prefect's server behind its login, and the flows served as `up` serves them.
    supervisor = Supervisor(home / "logs", env)
    try:
        server = supervisor.start(
            "prefect-server", [sys.executable, "-m", "prefect", "server", "start"]
        )
        api = str(settings.prefect_api_url)
        supervisor.wait_until(server, http_ok(f"{api}/health"), timeout=240, what="server")
        flows = supervisor.start("flows", [*ME, "flows", "serve"])
        supervisor.wait_until(flows, _registered(api, login), timeout=120, what="flow runner")
        yield Served(api, api.removesuffix("/api"), deps, login)
    finally:
        supervisor.stop()
        deps.uow.engine.dispose()


def _deployment(client: httpx.Client, name: str) -> dict[str, Any]:
    response = client.get(f"/deployments/name/{name}/{name}")
    response.raise_for_status()
    return dict(response.json())


def _ask(
    client: httpx.Client, deployment: str, parameters: dict[str, Any], **more: Any
) -> httpx.Response:
    """What the UI's Run button (or anyone with the API) does: create a flow run."""
    deployment_id = _deployment(client, deployment)["id"]
    body = {"parameters": parameters, **more}
    return client.post(f"/deployments/{deployment_id}/create_flow_run", json=body)


def _entry_audit(deps: Deps, key: str) -> str | None:
    (entry,) = [e for e in list_entries(deps) if e.key == key]
    return entry.audit_reference


def _new_section_175(deps: Deps) -> str:
    """Planning, where the coordinator's next step is issuing the tool: an operational step."""
    return audits.start_audit(
        deps, audit_type="section_175", theme="Section 175 2026", lead=CHAIR, actor=COORDINATOR
    ).reference


def test_the_api_refuses_a_caller_without_the_login(served: Served) -> None:
    with served.client() as client:
        advance = _deployment(client, "advance-audit")["id"]
        assert client.post("/deployments/filter", json={}).status_code == 200
    run_it = f"/deployments/{advance}/create_flow_run"
    withdraw = {"parameters": {"reference": "AUD-00000000", "trigger": "withdraw"}}
    with prefect_client(served.api) as anonymous:
        assert anonymous.post("/deployments/filter", json={}).status_code == 401
        assert anonymous.post(run_it, json=withdraw).status_code == 401
        assert anonymous.get("/health").status_code == 200  # a probe learns only "up"
    wrong = (served.login[0], "not-the-password")
    with prefect_client(served.api, wrong) as guessing:
        assert guessing.post("/deployments/filter", json={}).status_code == 401


def test_only_the_uis_own_origin_may_call_across_origins(served: Served) -> None:
    def preflight(origin: str) -> httpx.Response:
        headers = {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        }
        with prefect_client(served.api) as browser:
            return browser.options("/deployments/filter", headers=headers)

    foreign = preflight(FOREIGN)
    assert foreign.headers.get("access-control-allow-origin") not in {"*", FOREIGN}
    assert foreign.status_code >= 400
    own = preflight(served.ui)
    assert own.status_code == 200
    assert own.headers["access-control-allow-origin"] == served.ui


def test_the_ui_asks_for_the_login(served: Served) -> None:
    with prefect_client(served.ui) as browser:
        assert browser.get("/ui-settings").json()["auth"] == "BASIC"


def test_no_run_form_takes_a_person_acting_or_free_text(served: Served) -> None:
    with served.client() as client:
        deployments = client.post("/deployments/filter", json={}).json()
    assert len(deployments) >= 7
    for deployment in deployments:
        schema = deployment["parameter_openapi_schema"]
        properties: dict[str, Any] = schema.get("properties", {})
        assert not NEVER_PARAMETERS & set(properties), deployment["name"]
        for name, field in properties.items():
            _assert_no_free_text(f"{deployment['name']}.{name}", field)


def _assert_no_free_text(where: str, field: dict[str, Any]) -> None:
    """A text parameter is a choice, or a reference with a fixed shape (no spaces: no
    sentence, no one's name), or a date."""
    for option in field.get("anyOf", []):
        if option.get("type") != "null":
            _assert_no_free_text(where, option)
    if field.get("type") == "array":
        _assert_no_free_text(where, field["items"])
    if field.get("type") == "string" and field.get("format") != "date":
        assert "enum" in field or "pattern" in field, where
        assert " " not in field.get("pattern", ""), where


def test_start_audit_takes_a_programme_entry_and_starts_it_as_the_operator(
    served: Served,
) -> None:
    with served.client() as client:
        schema = _deployment(client, "start-audit")["parameter_openapi_schema"]
        assert "sexual-abuse-mace" in schema["properties"]["programme_entry"]["enum"]
        as_chair = {"programme_entry": "sexual-abuse-mace", "lead": CHAIR, "coordinator": CHAIR}
        refused = finished(client, _ask(client, "start-audit", as_chair).json()["id"], RUN)
        assert refused["state"]["type"] in REFUSED
        assert _entry_audit(served.deps, "sexual-abuse-mace") is None
        asked = _ask(
            client,
            "start-audit",
            {"programme_entry": "sexual-abuse-mace", "lead": CHAIR, "agencies": ["police"]},
        )
        assert asked.status_code == 201, asked.text
        run = finished(client, asked.json()["id"], RUN)
    assert run["state"]["type"] == "COMPLETED", run["state"]["message"]
    reference = _entry_audit(served.deps, "sexual-abuse-mace")
    assert reference is not None and run["name"] == f"start mace {reference}"
    (event,) = queries.history(served.deps, audit=reference)
    assert event.actor == person_name("coordinator")
    assert event.reason == f"via Prefect (flow run {run['id']})"


def test_a_run_naming_a_person_is_refused_and_never_acts_as_them(served: Served) -> None:
    reference = _new_section_175(served.deps)
    named = {"reference": reference, "trigger": "issue_tool", "actor": CHAIR}
    with served.client() as client:
        # The flow takes no person: Prefect ends the run before the flow begins, even when
        # the caller turned the server's check of parameters off for it.
        for more in ({}, {"enforce_parameter_schema": False}):
            asked = _ask(client, "advance-audit", named, **more)
            assert asked.status_code == 201, asked.text
            run = finished(client, asked.json()["id"], RUN)
            assert run["state"]["type"] in REFUSED, run["state"]["message"]
        assert [e.trigger for e in queries.history(served.deps, audit=reference)] == ["start"]

        plain = _ask(client, "advance-audit", {"reference": reference, "trigger": "issue_tool"})
        run = finished(client, plain.json()["id"], RUN)
    assert run["state"]["type"] == "COMPLETED", run["state"]["message"]
    last = queries.history(served.deps, audit=reference)[-1]
    assert (last.trigger, last.to_state) == ("issue_tool", "tool_issued")
    assert last.actor == person_name("coordinator")
    assert last.reason == f"via Prefect (flow run {run['id']})"


def test_a_persons_decision_cannot_be_taken_through_prefect(served: Served) -> None:
    reference = _new_section_175(served.deps)
    withdraw = {"reference": reference, "trigger": "withdraw"}
    with served.client() as client:
        choices = _deployment(client, "advance-audit")["parameter_openapi_schema"]
        offered = set(choices["properties"]["trigger"]["enum"])
        assert {"issue_tool", "open_returns", "close_returns"} <= offered
        assert not {"withdraw", "sign_off", "record_assurance", "complete_moderation"} & offered
        assert _ask(client, "advance-audit", withdraw).status_code == 409
        forced = _ask(client, "advance-audit", withdraw, enforce_parameter_schema=False)
        run = finished(client, forced.json()["id"], RUN)
    assert run["state"]["type"] == "FAILED"
    status = queries.audit_status(served.deps, audit=reference, as_person=COORDINATOR)
    assert status.state == "planning"
    assert [e.trigger for e in queries.history(served.deps, audit=reference)] == ["start"]


# Below: no server. The record and the rules behind the runs, on both stores.


def test_via_prefect_is_recorded_with_the_operator_and_is_never_a_reason(
    partnership: Deps,
) -> None:
    via = replace(partnership, via="via Prefect (flow run 0b0e)")
    reference = audits.start_audit(
        via, audit_type="section_175", theme="S175", lead=CHAIR, actor=COORDINATOR
    ).reference
    audits.fire(via, audit=reference, trigger="issue_tool", actor=COORDINATOR)
    # Withdrawing needs a person's reason: the annotation does not stand in for one.
    with pytest.raises(GateBlocked, match="reason"):
        audits.fire(via, audit=reference, trigger="withdraw", actor=COORDINATOR)
    audits.fire(via, audit=reference, trigger="withdraw", actor=COORDINATOR, reason="Merged")
    history = queries.history(partnership, audit=reference)
    assert [(e.trigger, e.reason) for e in history] == [
        ("start", "via Prefect (flow run 0b0e)"),
        ("issue_tool", "via Prefect (flow run 0b0e)"),
        ("withdraw", "Merged (via Prefect (flow run 0b0e))"),
    ]
    assert {e.actor for e in history} == {person_name("coordinator")}


def test_operational_triggers_are_the_coordinators_and_need_no_reason(
    partnership: Deps,
) -> None:
    from states.services.operator import OPERATIONAL_TRIGGERS

    seen: set[str] = set()
    for audit_type in partnership.catalogue.audit_types:
        for transition in partnership.catalogue.current(audit_type).definition.transitions:
            if transition.trigger in OPERATIONAL_TRIGGERS:
                seen.add(transition.trigger)
                assert "coordinator" in transition.roles, (audit_type, transition.trigger)
                assert not transition.requires_reason, (audit_type, transition.trigger)
    assert seen == set(OPERATIONAL_TRIGGERS)


def test_the_prefect_login_is_made_once_and_kept_private(tmp_path: Path) -> None:
    from oscp_flow.prefect_auth import LOGIN_USER, login_file, prefect_login

    settings = Settings(home=tmp_path / "home")
    login = prefect_login(settings)
    user, _, password = login.partition(":")
    assert user == LOGIN_USER and len(password) >= 32
    path = login_file(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert prefect_login(settings) == login  # reused, not remade
    env = prefect_environment(settings)
    assert env["PREFECT_SERVER_API_AUTH_STRING"] == env["PREFECT_API_AUTH_STRING"] == login
    assert env["PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS"] == "http://127.0.0.1:4200"
    path.chmod(0o644)  # copied in carelessly: read again, it is made private again
    assert prefect_login(settings) == login
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    own = Settings(home=tmp_path / "home", prefect_auth_string="ops:" + "x" * 20)
    assert prefect_login(own) == "ops:" + "x" * 20
    weak = Settings(home=tmp_path / "home", prefect_auth_string="admin:pass")
    with pytest.raises(InvalidInput, match="OSCP_PREFECT_AUTH_STRING must read user:password"):
        prefect_login(weak)
