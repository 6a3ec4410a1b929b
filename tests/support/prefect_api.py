"""An HTTP client for Prefect's API in tests, as Prefect's own client behaves: a 503 is
Prefect's server asking the caller to try again (its SQLite database was busy), so it is
asked again, a few times, before the test sees it. And a flow run awaited until it ends."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.support.waiting import eventually

TRIES = 5
FINAL = {"COMPLETED", "FAILED", "CRASHED"}
# A flow run's state is asked for this often: each question is work for a busy server.
ASKING = 0.5


class RetryBusy(httpx.HTTPTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(TRIES - 1):
            response = super().handle_request(request)
            if response.status_code != httpx.codes.SERVICE_UNAVAILABLE:
                return response
            response.close()
            time.sleep(0.5)  # a real server's lock, not the engine's clock
        return super().handle_request(request)


def prefect_client(api: str, login: tuple[str, str] | None = None) -> httpx.Client:
    return httpx.Client(base_url=api, auth=login, timeout=30, transport=RetryBusy())


def finished(client: httpx.Client, run_id: str, timeout: float) -> dict[str, Any]:
    """The flow run once it has ended, however it ended. Prefect's server tells a client
    nothing when a run ends, so it is asked (Prefect's own ``wait_for_flow_run`` asks too)."""

    def ended() -> dict[str, Any]:
        run = dict(client.get(f"/flow_runs/{run_id}").json())
        assert run["state"]["type"] in FINAL, run["state"]
        return run

    return eventually(ended, timeout, every=ASKING)
