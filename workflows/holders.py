"""Who holds the worker's lease, and whether that process is still there.

A holder's name is ``machine:pid:token``. The machine is the host name and, on Linux, the
process-id namespace: two containers may share a host name but never their pids, so neither
may judge the other's processes by its own. Only a holder on this very machine can be found
dead, and only when its process is gone (or a zombie, killed but not yet reaped); anything
else, including a name that cannot be read, counts as alive, and its lease must lapse first.
A pid reused by an unrelated process also counts as alive: the safe mistake.
"""

from __future__ import annotations

import functools
import os
import socket
import uuid
from pathlib import Path


@functools.cache
def this_machine() -> str:
    host = socket.gethostname()
    try:
        namespace = os.readlink("/proc/self/ns/pid")  # 'pid:[4026531836]'
    except OSError:  # not Linux, or /proc not mounted: the host name alone
        return host
    return f"{host}/{namespace.removeprefix('pid:[').removesuffix(']')}"


def holder_name() -> str:
    return f"{this_machine()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_alive(holder: str) -> bool:
    """False only for a holder on this machine whose process has gone."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return True
    machine, pid = parts[0], int(parts[1])
    if machine != this_machine() or pid in (0, os.getpid()):
        return True
    return _process_alive(pid)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """A killed process its parent has not reaped yet still answers signal 0."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rpartition(")")[2].split()  # the name, in brackets, may hold spaces
    return bool(fields) and fields[0] in ("Z", "X")
