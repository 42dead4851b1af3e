"""Run owners: which process wrote a `runs` row, and whether it still runs.

A run left 'running' by a killed process is recognized by its owner (host, pid and
the pid's start time, since pids are reused).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any


def current_owner() -> dict[str, Any]:
    """This process as a run owner: host, pid and start time (pids are reused; start times tell them apart)."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "start": _start_time(pid)}


def owner_alive(owner: dict[str, Any] | None) -> bool | None:
    """Whether the owning process still runs; None when it cannot be told (another host, no owner)."""
    if not owner or owner.get("host") != socket.gethostname() or not isinstance(owner.get("pid"), int):
        return None
    pid = owner["pid"]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        pass
    start = _start_time(pid)
    if owner.get("start") is not None and start is not None and start != owner["start"]:
        return False  # the pid now belongs to another process
    return not _is_zombie(pid)


def _start_time(pid: int) -> int | None:
    """Clock ticks since boot when ``pid`` started (Linux /proc); None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its closing one.
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[19]) if len(fields) > 19 else None


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[-1].split()
    return bool(fields) and fields[0] == "Z"
