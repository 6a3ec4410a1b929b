"""An HTTP client for Prefect's API in tests, as Prefect's own client behaves: a 503 is
Prefect's server asking the caller to try again (its SQLite database was busy), so it is
asked again, a few times, before the test sees it."""

from __future__ import annotations

import time

import httpx

TRIES = 5


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
