"""Warehouse integrity: a healthy warehouse has no problems; orphans, bad statuses and dead runs are named; reaping fixes runs."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from envscale.integrity import check_warehouse, reap_dead_runs
from envscale.warehouse import open_warehouse


def _environment(env_id: str, status: str, origin: str = "generated") -> dict:
    return {
        "env_id": env_id,
        "name": env_id,
        "origin": origin,
        "path": f"/envs/{env_id}.duckdb",
        "manifest": {},
        "status": status,
        "n_tools": 1,
        "lineage_hash": "l",
    }


def _dead_owner() -> dict:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return {"host": socket.gethostname(), "pid": child.pid, "start": None}


def test_a_new_warehouse_is_healthy(tmp_path):
    assert check_warehouse(open_warehouse(tmp_path / "w.duckdb")) == []


def test_orphans_unknown_statuses_and_superseded_imports_are_named(tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    wh.insert(
        "environments",
        [
            _environment("e1", "accepted"),
            _environment("e2", "pending"),
            _environment("e3", "superseded", "imported"),
        ],
    )
    wh.insert(
        "tasks",
        [
            {
                "task_id": "t1",
                "blueprint_id": "b-gone",
                "env_id": "e1",
                "instruction": "x",
                "writer": "template",
                "lineage_hash": "l",
            }
        ],
    )
    problems = check_warehouse(wh)
    assert "tasks: 1 row(s) whose blueprint_id is missing from blueprints (e.g. 'b-gone')" in problems
    assert "environments: 1 row(s) with an unknown status (e.g. 'pending')" in problems
    assert "environments: 1 imported environment(s) marked superseded (e.g. 'e3')" in problems
    assert len(problems) == 3


def test_dead_runs_are_reported_then_reaped(tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    alive = wh.start_run("build", {})
    dead = wh.start_run("synthesize", {})
    owner = _dead_owner()
    with wh.transaction() as con:
        con.execute("UPDATE runs SET owner = ? WHERE run_id = ?", [json.dumps(owner), dead])
    (problem,) = check_warehouse(wh)
    assert problem.startswith(f"runs: {dead} (synthesize) is 'running' but its process {owner['pid']}")
    assert reap_dead_runs(wh) == [dead]
    statuses = {r["run_id"]: r["status"] for r in wh.rows("SELECT run_id, status FROM runs")}
    assert statuses == {alive: "running", dead: "interrupted"}  # this process's run is left alone
    assert check_warehouse(wh) == [] and reap_dead_runs(wh) == []
