"""Peeks for the CLI's prechecks: counts and accepted environments as the file says now; None when it cannot tell."""

from __future__ import annotations

import duckdb

from envscale.environments.store.peek import (
    accepted_environments,
    accepted_trajectory_count,
    tool_count,
    trajectory_count,
)
from envscale.warehouse import open_warehouse


def _environment(env_id: str, name: str, status: str) -> dict:
    return {
        "env_id": env_id,
        "name": name,
        "origin": "generated",
        "path": f"/envs/{env_id}.duckdb",
        "manifest": {},
        "status": status,
        "n_tools": 1,
        "lineage_hash": "l",
    }


def test_a_missing_file_holds_nothing(tmp_path):
    path = tmp_path / "absent.duckdb"
    assert (tool_count(path), trajectory_count(path), accepted_trajectory_count(path)) == (0, 0, 0)
    assert accepted_environments(path) == []
    assert not path.exists()  # a peek creates nothing


def test_counts_and_accepted_environments(tmp_path):
    path = tmp_path / "w.duckdb"
    wh = open_warehouse(path)
    wh.insert("environments", [_environment("e1", "shop", "accepted"), _environment("e2", "air", "rejected")])
    assert accepted_environments(path) == [("e1", "shop")]
    assert tool_count(path) == 0 and accepted_trajectory_count(path) == 0


def test_a_damaged_or_old_file_cannot_tell(tmp_path):
    damaged = tmp_path / "damaged.duckdb"
    damaged.write_bytes(b"not a database" * 100)
    assert tool_count(damaged) is None and accepted_environments(damaged) is None
    old = tmp_path / "old.duckdb"
    duckdb.connect(str(old)).close()  # a database without the warehouse's tables
    assert trajectory_count(old) is None
