"""What every page handler is given: the engine, the page renderer, the form guard, config."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.responses import HTMLResponse

from oscp_flow.web.config import WebConfig
from oscp_flow.web.csrf import FormGuard, FormToken
from oscp_flow.web.pages import Pages
from states.services.deps import Deps


@dataclass(frozen=True)
class WebContext:
    deps: Deps
    pages: Pages
    guard: FormGuard
    config: WebConfig
    # OSCP_HOME: where a directory upload waits, server-side, for its dry run's confirmation.
    home: Path

    def form_page(
        self,
        template: str,
        token: str,
        form_token: FormToken,
        *,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        """A page holding a form that posts back to the link, its cookie scoped to the link."""
        action = self.pages.paths.act(token)
        response = self.pages.render(
            template, status, action=action, csrf=form_token.value, **context
        )
        if form_token.cookie is not None:
            self.guard.attach(response, form_token.cookie, action)
        return response
