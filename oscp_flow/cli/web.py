"""``oscp web``: serve the pages behind e-mailed links with uvicorn.

uvicorn's access log goes through the redacting filter, so a link's path appears as
``/act/…``; the ``Server`` header is off, and the app is built from settings like every
other command (``OSCP_BASE_URL`` decides the addresses in pages, never the Host header).
uvicorn's own proxy headers handling is off: it would believe X-Forwarded-For from 127.0.0.1
by default, and the app believes it only from ``OSCP_WEB_TRUSTED_PROXIES``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from oscp_flow.cli.common import app, plain_errors


@app.command("web")
def web(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve sign-off, return and assurance links until Ctrl-C."""
    import uvicorn

    from oscp_flow.settings import Settings, load
    from oscp_flow.web import WebConfig, create_app
    from oscp_flow.web.logs import uvicorn_log_config
    from oscp_flow.wiring import build

    with plain_errors():
        settings = Settings()
        application = create_app(build(settings), settings, load(WebConfig))
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_config=uvicorn_log_config(),
        access_log=True,
        server_header=False,
        proxy_headers=False,
    )
