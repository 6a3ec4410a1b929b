"""Directory files uploaded on the coordinator pages, kept server-side until their dry run is
confirmed or dropped.

The upload is stored under ``$OSCP_HOME/uploads/directory/<random id>/`` with the session it
belongs to, so the confirmation reads the very file whose dry run was shown, and only from the
session that uploaded it. The files keep the names the engine's readers expect (one workbook,
or CSV files named for their parts), so reading them is ``read_files``, exactly as the CLI.
The plan shown is fingerprinted; a confirmation whose plan no longer has that fingerprint
(the directory changed meanwhile) is refused, and ``apply_plan`` refuses a change that lands
between the check and the write.

An upload nobody confirms or drops (the tab closed on the dry run) would stay for ever: each
new upload first removes every upload made more than ``ABANDONED_AFTER`` before it. The age is
the engine's clock written into the folder when it was made, never the file system's time,
so tests and a clock set by the partnership agree.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from oscp_flow.excel.directory_book import XLSX, refused
from oscp_flow.excel.directory_csv import FILE_NAMES
from oscp_flow.excel.directory_io import REFUSED_SUFFIXES, DirectoryFiles, read_files
from states.errors import NotFound
from states.rules.directory import ImportPlan

FOLDER = ("uploads", "directory")
OWNER = "session"
MADE = "made"  # when the upload was made, by the engine's clock (ISO 8601)
ABANDONED_AFTER = timedelta(days=1)
ID_BYTES = 16
MAX_FILES = len(FILE_NAMES)


@dataclass(frozen=True)
class Given:
    """One file as the browser sent it."""

    name: str
    data: bytes


def _root(home: Path) -> Path:
    return home.joinpath(*FOLDER)


def _stored_name(name: str) -> str:
    """The name the engine's readers expect, never a path the browser chose."""
    plain = Path(name.replace("\\", "/")).name.lower()
    if plain.endswith(XLSX):
        return f"directory{XLSX}"
    if plain in FILE_NAMES:
        return plain
    for suffix in REFUSED_SUFFIXES:
        if plain.endswith(suffix):
            return f"directory{suffix}"  # refused by read_files, with its reason
    raise refused(
        f"{Path(plain).name[:60]} is neither a workbook (.xlsx) nor one of the directory's CSV "
        f"files ({', '.join(FILE_NAMES)})"
    )


def keep(home: Path, session_id: int, given: Sequence[Given], *, now: datetime) -> str:
    """Store the files for ``session_id``; the random id that finds them again. Uploads
    abandoned before ``now`` are removed first."""
    if not given:
        raise refused("choose a workbook (.xlsx) or the CSV files to import")
    if len(given) > MAX_FILES:
        raise refused(f"upload one workbook, or at most {MAX_FILES} CSV files")
    names = [_stored_name(g.name) for g in given]
    remove_abandoned(home, now=now)
    upload = secrets.token_urlsafe(ID_BYTES)
    folder = _root(home) / upload
    folder.mkdir(parents=True, mode=0o700)
    (folder / MADE).write_text(now.isoformat())
    (folder / OWNER).write_text(str(session_id))
    for name, file in zip(names, given, strict=True):
        (folder / name).write_bytes(file.data)
    return upload


def remove_abandoned(home: Path, *, now: datetime) -> int:
    """Remove the uploads made more than ``ABANDONED_AFTER`` before ``now``; how many. A
    folder without a readable time is left alone: it may be one being made this moment."""
    root, removed = _root(home), 0
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        made = _made(folder)
        if made is not None and now - made > ABANDONED_AFTER:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _made(folder: Path) -> datetime | None:
    try:
        return datetime.fromisoformat((folder / MADE).read_text())
    except (OSError, ValueError):
        return None


def _folder(home: Path, session_id: int, upload: str) -> Path:
    """The upload's folder, if it is this session's; otherwise it does not exist."""
    if not upload.replace("-", "").replace("_", "").isalnum() or len(upload) > 40:
        raise NotFound("upload", upload[:12])
    folder = _root(home) / upload
    owner = folder / OWNER
    if not owner.is_file() or owner.read_text() != str(session_id):
        raise NotFound("upload", upload[:12])
    return folder


def read(home: Path, session_id: int, upload: str) -> DirectoryFiles:
    """The rows of this session's upload, read as the CLI reads files."""
    folder = _folder(home, session_id, upload)
    files = sorted(p for p in folder.iterdir() if p.name not in (OWNER, MADE))
    return read_files(files)


def drop(home: Path, session_id: int, upload: str) -> None:
    shutil.rmtree(_folder(home, session_id, upload), ignore_errors=True)


def fingerprint(plan: ImportPlan) -> str:
    """The plan's every change, as canonical JSON hashed: the same plan gives the same value in
    any process (sets sorted), a different one a different value."""
    rows = [asdict(change) for change in plan.changes]
    text = json.dumps(rows, sort_keys=True, default=_sorted)
    return hashlib.sha256(text.encode()).hexdigest()


def _sorted(value: object) -> list[str]:
    if isinstance(value, frozenset | set):
        return sorted(str(v) for v in value)
    raise TypeError(f"{type(value).__name__} in a plan")
