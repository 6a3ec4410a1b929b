"""Rendering pages: one Jinja2 environment, autoescaped everywhere, strict about undefined names.

Nothing a person typed is ever compiled as a template; it only fills variables, and
autoescaping turns ``<script>`` or ``{{ 7*7 }}`` into text. Addresses in pages are paths on
the configured ``base_url`` (never the request's Host header), so no page names another site.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.responses import HTMLResponse

from notifications.render import london_day
from states.clock import LONDON
from states.rules.quarters import plain_day


@dataclass(frozen=True)
class SitePaths:
    """Where things are, under the path of the configured base URL."""

    prefix: str

    @classmethod
    def from_base_url(cls, base_url: str) -> SitePaths:
        return cls(urlsplit(base_url).path.rstrip("/"))

    @property
    def stylesheet(self) -> str:
        return f"{self.prefix}/static/site.css"

    def act(self, token: str) -> str:
        return f"{self.prefix}/act/{quote(token, safe='')}"


def london_time(instant: datetime) -> str:
    """ "5pm on Friday 13 March 2026"."""
    moment = instant.astimezone(LONDON)
    hour = moment.hour % 12 or 12
    minutes = "" if moment.minute == 0 else f":{moment.minute:02d}"
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'} on {london_day(moment)}"


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("oscp_flow.web", "templates"),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    environment.filters.update(london_day=london_day, london_time=london_time, plain_day=plain_day)
    return environment


@cache
def stylesheet() -> str:
    return files("oscp_flow.web").joinpath("static/site.css").read_text(encoding="utf-8")


class Pages:
    def __init__(self, paths: SitePaths, partnership: str = "") -> None:
        self.paths = paths
        # The partnership's own name (``oscp init --partnership``), at the head of every page.
        self.partnership = partnership

    def render(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = self.text(name, **context)
        return HTMLResponse(html, status_code=status_code)

    def text(self, name: str, **context: Any) -> str:
        values: Mapping[str, Any] = {
            "paths": self.paths,
            "partnership": self.partnership,
            **context,
        }
        return _environment().get_template(name).render(values)
