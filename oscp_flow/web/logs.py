"""Keeping link tokens out of logs.

A token in a log is a working link in the hands of whoever reads the log, so every line the
web app or uvicorn writes passes through ``redact``: the path after ``/act/`` becomes "…",
and so does anything else shaped like a token. The uvicorn access log keeps method, path
shape and status, which is what an operator needs.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from states.persistence import tokens

_ACT_PATH = re.compile(r"/act/[^\s/?#\"'<>:;,)]+")
# 43 URL-safe characters standing alone: the shape of a token wherever it turns up.
_TOKEN_SHAPE = re.compile(
    rf"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{{{tokens.TOKEN_LENGTH}}}(?![A-Za-z0-9_-])"
)
# The way back from an organisation's sign-in carries the provider's code and the state in
# its query: neither is ever written down.
_OIDC_CALLBACK = re.compile(r"(/signin/oidc/[^\s/?#]+/callback)\?[^\s\"']*")
HIDDEN = "…"


def redact(text: str) -> str:
    text = _OIDC_CALLBACK.sub(rf"\1?{HIDDEN}", text)
    return _TOKEN_SHAPE.sub(HIDDEN, _ACT_PATH.sub(f"/act/{HIDDEN}", text))


def safe_path(path: str) -> str:
    return redact(path)


class RedactTokens(logging.Filter):
    """Rewrites a record in place so no handler after it sees a token."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            # Tracebacks are formatted here, redacted, and kept as text: exception messages
            # can quote a URL.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging, with every handler behind the redacting filter."""
    redacting = {"()": "oscp_flow.web.logs.RedactTokens"}
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "filters": ["redact_tokens"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact_tokens": redacting},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {"default": {**handler, "formatter": "plain"}},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "oscp_flow": {"handlers": ["default"], "level": "INFO", "propagate": False},
            # The engine's services the pages call say who signed in or was removed, no more.
            "states": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "slowapi": {"handlers": ["default"], "level": "WARNING", "propagate": False},
        },
    }
