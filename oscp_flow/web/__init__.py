"""The web app people reach by e-mailed link: sign off, complete a return, give assurance."""

from __future__ import annotations

from oscp_flow.web.app import create_app
from oscp_flow.web.config import WebConfig

__all__ = ["WebConfig", "create_app"]
