from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from envscale.warehouse import (
    COUNTED_TABLES,
    MigrationError,
    Warehouse,
    WarehouseBusy,
    open_warehouse,
)


def test_migrations_create_every_table_once(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    applied = wh.migrate()
    assert applied[0] == "0001_core"
    assert wh.migrate() == []  # idempotent
    assert set(wh.counts(read_only=False)) == set(COUNTED_TABLES)
    assert wh.pending_migrations() == []


def test_edited_migration_is_refused(tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    with wh.transaction() as con:
        con.execute("UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        wh.migrate()


def test_insert_ignore_replace_and_json_roundtrip(tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    row = {"domain_id": "d1", "name": "orders", "tool_ids": ["a", "b"], "n_tools": 2, "lineage_hash": "h1"}
    wh.insert("domains", [row])
    wh.insert("domains", [{**row, "name": "changed"}])  # ignored: same key
    with wh.connect(read_only=True) as con:
        assert con.execute("SELECT name, tool_ids FROM domains").fetchall() == [("orders", '["a", "b"]')]
    wh.insert("domains", [{**row, "name": "changed"}], on_conflict="replace")
    with wh.connect(read_only=True) as con:
        name, tool_ids = con.execute("SELECT name, tool_ids FROM domains").fetchone()
    assert name == "changed" and json.loads(tool_ids) == ["a", "b"]


def test_transaction_rolls_back_on_error(tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    row = {"domain_id": "d1", "name": "x", "tool_ids": [], "n_tools": 0, "lineage_hash": "h"}
    with pytest.raises(RuntimeError), wh.transaction() as con:
        wh.insert("domains", [row], con=con)
        raise RuntimeError("crash mid-write")
    assert wh.counts(read_only=False)["domains"] == 0


def test_run_bookkeeping_and_skip_lookup(tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    run = wh.start_run("build", {"seed": 1}, input_hash="abc")
    assert wh.last_completed_run("build", "abc") is None
    wh.finish_run(run, "completed", {"environments": 3})
    assert wh.last_completed_run("build", "abc") == {"run_id": run, "summary": {"environments": 3}}
    assert wh.recent_runs(1)[0]["status"] == "completed"
    # A newer completed run over other inputs: the older identical one is no reason to skip any more.
    other = wh.start_run("build", {"seed": 2}, input_hash="xyz")
    wh.finish_run(other, "completed", {"environments": 4})
    assert wh.last_completed_run("build", "abc") is None


def _hold_lock_script(path, seconds):
    return textwrap.dedent(
        f"""
        import duckdb, time, sys
        con = duckdb.connect({str(path)!r})
        print("locked", flush=True)
        time.sleep({seconds})
        """
    )


def test_locked_warehouse_fails_with_clear_message(tmp_path):
    path = tmp_path / "w.duckdb"
    open_warehouse(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", _hold_lock_script(path, 5)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        busy = Warehouse(path, lock_timeout_s=0.5)
        with pytest.raises(WarehouseBusy, match="held by another process"):
            busy.counts(read_only=False)
    finally:
        holder.kill()
        holder.wait()


def test_writer_waits_for_lock_then_succeeds(tmp_path):
    path = tmp_path / "w.duckdb"
    open_warehouse(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", _hold_lock_script(path, 1.5)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"
    start = time.monotonic()
    wh = Warehouse(path, lock_timeout_s=30)
    wh.insert("domains", [{"domain_id": "d", "name": "n", "tool_ids": [], "n_tools": 0, "lineage_hash": "h"}])
    holder.wait()
    assert time.monotonic() - start > 0.5  # it really waited for the other process
    assert wh.counts()["domains"] == 1


def test_two_processes_writing_serialize_cleanly(tmp_path):
    path = tmp_path / "w.duckdb"
    open_warehouse(path)
    script = textwrap.dedent(
        f"""
        import sys
        from envscale.warehouse import Warehouse
        wh = Warehouse({str(path)!r}, lock_timeout_s=60)
        tag = sys.argv[1]
        for i in range(25):
            wh.insert("domains", [{{"domain_id": f"{{tag}}-{{i}}", "name": tag, "tool_ids": [], "n_tools": 0, "lineage_hash": "h"}}])
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, tag]) for tag in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with Warehouse(path).connect(read_only=True) as con:
        assert con.execute("SELECT name, count(*) FROM domains GROUP BY name ORDER BY name").fetchall() == [
            ("a", 25),
            ("b", 25),
        ]


def test_a_damaged_warehouse_is_a_warehouse_error_with_a_hint(tmp_path):
    from envscale.warehouse import WarehouseError

    folder = tmp_path / "folder.duckdb"
    folder.mkdir()
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"\x00not duckdb" * 1000)
    for path, what in ((folder, "a folder is in its place"), (junk, "not a valid DuckDB database file")):
        for read_only in (False, True):
            with (
                pytest.raises(WarehouseError, match=f"cannot open the warehouse .*{what}.*Move it aside"),
                Warehouse(path).connect(read_only=read_only),
            ):
                pass
