"""tracked_run: a `runs` row goes running → completed with the summary, or failed with the error and error.txt."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from envscale.tasks.run_context import tracked_run
from envscale.warehouse import open_warehouse


def _run_row(home, run_id):
    (row,) = open_warehouse(home.warehouse).rows("SELECT * FROM runs WHERE run_id = ?", [run_id])
    return row


def test_a_completed_run_keeps_its_summary(home):
    with tracked_run("ingest", {"paths": ["x"]}, input_hash="h1") as ctx:
        assert _run_row(home, ctx.run_id)["status"] == "running"
        ctx.summary["tools"] = 3
    row = _run_row(home, ctx.run_id)
    assert row["status"] == "completed" and json.loads(row["summary"]) == {"tools": 3}
    assert row["input_hash"] == "h1" and json.loads(row["params"]) == {"paths": ["x"]}
    assert ctx.run_dir == home.runs / ctx.run_id and ctx.run_dir.is_dir()


def test_a_failed_run_records_the_error_and_the_traceback(home):
    with pytest.raises(RuntimeError, match="boom"), tracked_run("build", {}) as ctx:
        raise RuntimeError("boom")
    row = _run_row(home, ctx.run_id)
    assert row["status"] == "failed" and row["error"] == "RuntimeError: boom"
    assert "Traceback" in (ctx.run_dir / "error.txt").read_text()


def test_a_run_left_running_by_a_dead_process_is_interrupted_on_the_next_start(home):
    wh = open_warehouse(home.warehouse)
    stale = wh.start_run("synthesize", {})
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with wh.transaction() as con:
        owner = {"host": socket.gethostname(), "pid": child.pid, "start": None}
        con.execute("UPDATE runs SET owner = ? WHERE run_id = ?", [json.dumps(owner), stale])
    with tracked_run("synthesize", {}):
        pass
    assert _run_row(home, stale)["status"] == "interrupted"
