"""File modes: what anyone but a file's owner could read under a folder."""

from __future__ import annotations

import stat
from pathlib import Path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def loose(root: Path, *, besides: tuple[Path, ...] = ()) -> list[str]:
    """Everything under ``root`` (itself included) that is not private to its owner (folders
    0700, files 0600), but ``besides``: files the test itself wrote there."""
    found = [root, *(p for p in root.rglob("*") if p not in besides)]
    wanted = {True: 0o700, False: 0o600}
    return [f"{oct(mode(p))} {p}" for p in found if mode(p) != wanted[p.is_dir()]]
