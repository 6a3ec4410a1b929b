"""The ``oscp`` command. Each topic's commands live in their own module and register on the
apps in ``common``; importing this package imports them all, so ``oscp_flow.cli:app`` is the
whole command. ``oscp --help`` stays fast: heavy modules are imported inside commands.
"""

from __future__ import annotations

from oscp_flow.cli import (  # noqa: F401  (each registers its commands)
    actions,
    attendees,
    audit,
    body,
    db,
    deep_dive,
    definitions,
    demo,
    directory,
    directory_changes,
    directory_files,
    findings,
    flows,
    init,
    mail,
    meetings,
    moderation,
    planning,
    programme,
    reports,
    returns,
    sharing,
    up,
    users,
    web,
    work,
    worker,
)
from oscp_flow.cli.common import app

__all__ = ["app"]
