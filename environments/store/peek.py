"""A glance at the warehouse for the CLI's prechecks (tasks/preflight): read-only, no migration,
no waiting for a lock.

Each answer is what the file says now, or None when it cannot tell (locked by a running stage,
an older schema, damaged): the stage itself then decides. A missing file holds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

from envscale.warehouse import Warehouse, WarehouseError

T = TypeVar("T")


def _peek(path: Path, read: Callable[[duckdb.DuckDBPyConnection], T], empty: T) -> T | None:
    if not path.exists():
        return empty
    try:
        with Warehouse(path, lock_timeout_s=0).connect(read_only=True) as con:
            return read(con)
    except (WarehouseError, duckdb.Error):
        return None


def _count(path: Path, sql: str) -> int | None:
    return _peek(path, lambda con: int(con.execute(sql).fetchone()[0]), 0)


def tool_count(path: Path) -> int | None:
    """Tools in the catalog."""
    return _count(path, "SELECT count(*) FROM tools")


def trajectory_count(path: Path) -> int | None:
    """Trajectories synthesized, validated or not."""
    return _count(path, "SELECT count(*) FROM trajectories")


def accepted_trajectory_count(path: Path) -> int | None:
    """Trajectories with an accepted verdict (what the training export reads)."""
    return _count(
        path,
        "SELECT count(*) FROM trajectories t JOIN validations v USING (trajectory_id) WHERE v.verdict = 'accepted'",
    )


def accepted_environments(path: Path) -> list[tuple[str, str]] | None:
    """(env_id, name) of the accepted environments."""
    sql = "SELECT env_id, name FROM environments WHERE status = 'accepted'"
    return _peek(path, lambda con: [(str(e), str(n)) for e, n in con.execute(sql).fetchall()], [])
