"""``OSCP_HOME`` is private to the user who runs the engine.

It holds the engine's SQLite database, Prefect's home and database, captured mail, logs and
whatever reports an operator writes there: audit data, readable by nobody else on the machine.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from states.errors import InvalidInput

# Files 0600, folders 0700. A umask rather than chmod after the fact, because most of these
# files are created by libraries (SQLite's database and its -wal/-shm files, Prefect's home
# and database, the Maildir of captured mail) and by the child processes of `oscp up`, which
# inherit the umask: there is no moment at which they are readable by others.
PRIVATE_UMASK = 0o077
PRIVATE_FOLDER = 0o700

log = logging.getLogger("oscp_flow.home")


def keep_files_private() -> None:
    """Everything this process and its children create from now on is theirs alone."""
    os.umask(PRIVATE_UMASK)


def tighten_home(home: Path) -> None:
    """An existing home that others can read or enter becomes 0700, and the log says so.

    A missing one is left alone: it is made (0700, under the umask) by whichever command
    first needs it, so a command that uses no file makes no folder."""
    try:
        current = stat.S_IMODE(home.stat().st_mode)
    except FileNotFoundError:
        return
    if current & ~PRIVATE_FOLDER:
        try:
            home.chmod(PRIVATE_FOLDER)
        except PermissionError:
            raise InvalidInput(
                f"OSCP_HOME {home} is readable by others and this user cannot change that; "
                "choose a folder of your own, or ask its owner to make it 0700."
            ) from None
        log.warning(
            "OSCP_HOME %s was readable by others (mode %s); it is now %s, for its owner only.",
            home,
            oct(current),
            oct(PRIVATE_FOLDER),
        )
