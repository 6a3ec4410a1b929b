"""The environment every Prefect process of the engine runs with: offline, local, quiet.

Prefect reads its settings from the environment, so the server, the served deployments,
the workers and the flow runs they spawn all get the same variables from here. None of it
calls out: telemetry is off, and the API address always names a started server (Prefect's
"ephemeral" mode would start a server per process). The server asks for its login
(``oscp_flow.prefect_auth``) on every call but the health probe, its clients send it, and a
browser may call the API across origins only from the UI's own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from oscp_flow.prefect_auth import prefect_login
from oscp_flow.settings import Settings

RUNTIME_FACTORY = "oscp_flow.wiring:flow_runtime"


def api_url(settings: Settings) -> str:
    return settings.prefect_api_url or f"http://127.0.0.1:{settings.prefect_port}/api"


def ui_origin(settings: Settings) -> str:
    """Where the UI is served from: the API's scheme, host and port."""
    parts = urlsplit(api_url(settings))
    return f"{parts.scheme}://{parts.netloc}"


def prefect_environment(settings: Settings) -> dict[str, str]:
    home = settings.home.resolve()
    login = prefect_login(settings)
    env = {
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_API_URL": api_url(settings),
        "OSCP_PREFECT_API_URL": api_url(settings),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(settings.prefect_port),
        # Without these, anyone who reaches the port could start any flow as anyone.
        "PREFECT_SERVER_API_AUTH_STRING": login,
        "PREFECT_API_AUTH_STRING": login,
        "PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS": ui_origin(settings),
        # Runs start within a couple of seconds of the Run button, not Prefect's default 10.
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        # Flow results are small summaries; none are written to disk.
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
        "OSCP_FLOW_RUNTIME": RUNTIME_FACTORY,
        # Settings that the flow runs' own processes must agree on.
        "OSCP_HOME": str(home),
    }
    if settings.prefect_database_url:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = settings.prefect_database_url
    if settings.prefect_operator:
        env["OSCP_PREFECT_OPERATOR"] = settings.prefect_operator
    return env
