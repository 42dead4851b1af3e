"""Concurrency: 256 episodes at once equal the same episodes one by one; two warehouse writers never corrupt it.

Two processes writing the warehouse either serialize (the second waits for the file
lock, up to ``lock_timeout_s``) or the waiting one fails with ``WarehouseBusy`` naming
the problem; either way every committed row is there and ``check_warehouse`` passes.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from envscale.integrity import check_warehouse
from envscale.warehouse import Warehouse, WarehouseBusy, open_warehouse
from tests.support.reliability.workloads import run_episodes


@pytest.fixture
def shop(tmp_path):
    from envscale.environments.runtime import forget_environments
    from envscale.environments.synthesis.sample_env import build_sample_env

    directory = tmp_path / "envs"
    yield build_sample_env(directory), directory
    forget_environments()


def test_256_concurrent_episodes_end_in_the_same_states_as_one_by_one(shop):
    manifest, directory = shop
    alone, _ = run_episodes(manifest, directory, 256, concurrent=False)
    together, forks = run_episodes(manifest, directory, 256, concurrent=True)
    assert forks > 0  # the episodes did collide on rows (and were isolated by forking)
    assert len(together) == 256
    for i in range(256):
        assert together[i] == alone[i], i
    assert len({o["state_hash"] for o in alone.values()}) > 10  # not all trivially the same state
    again, _ = run_episodes(manifest, directory, 256, concurrent=True)
    assert again == alone


_WRITER = r"""
import sys, time
from envscale.warehouse import Warehouse, WarehouseBusy
wh = Warehouse(sys.argv[1], lock_timeout_s=float(sys.argv[4]))
tag, n = sys.argv[2], int(sys.argv[3])
try:
    for i in range(n):
        run = wh.start_run("writer-" + tag, {"i": i})
        wh.insert("rejected_tools", [{"rejection_id": f"{tag}-{i}-{k}", "source_file": tag, "pointer": str(k),
                   "reason_code": "malformed_json", "reason": "test", "lineage_hash": "x", "run_id": run}
                  for k in range(5)])
        wh.finish_run(run, "completed")
except WarehouseBusy as exc:
    print("BUSY", exc, flush=True)
    sys.exit(3)
"""

_HOLDER = r"""
import sys, time
from envscale.warehouse import Warehouse
wh = Warehouse(sys.argv[1])
with wh.transaction() as con:
    wh.insert("rejected_tools", [{"rejection_id": "held", "source_file": "h", "pointer": "", "reason_code": "malformed_json",
               "reason": "held", "lineage_hash": "x", "run_id": None}], con=con)
    print("HOLDING", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _spawn(script, *args):
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE, text=True
    )


def test_two_writing_processes_serialize_cleanly(home):
    wh = open_warehouse(home.warehouse)
    procs = [_spawn(_WRITER, home.warehouse, tag, 60, 60) for tag in ("a", "b")]
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0, out
    with wh.connect() as con:
        assert con.execute("SELECT count(*) FROM rejected_tools").fetchone()[0] == 2 * 60 * 5
        assert con.execute("SELECT count(*) FROM runs WHERE status = 'completed'").fetchone()[0] == 120
    assert check_warehouse(wh) == []


def test_a_writer_that_waits_too_long_fails_with_warehouse_busy(home):
    wh = open_warehouse(home.warehouse)
    holder = _spawn(_HOLDER, home.warehouse, 4)
    assert holder.stdout.readline().strip() == "HOLDING"
    started = time.monotonic()
    with pytest.raises(WarehouseBusy) as busy:
        Warehouse(home.warehouse, lock_timeout_s=1.0).insert(
            "runs", [{"run_id": "x", "flow": "f", "status": "running", "started_at": "2024-01-01"}]
        )
    assert 1.0 <= time.monotonic() - started < 4
    message = str(busy.value)
    assert str(home.warehouse) in message and "another process" in message and "ENVSCALE_HOME" in message
    # the same through a subprocess: exit code and message, not a traceback
    blocked = _spawn(_WRITER, home.warehouse, "late", 1, 0.5)
    out, _ = blocked.communicate(timeout=60)
    assert blocked.returncode == 3 and out.startswith("BUSY") and "held by another process" in out
    holder.communicate(timeout=60)
    assert holder.returncode == 0
    with wh.connect() as con:  # the holder's transaction committed whole; the blocked writes never happened
        assert (
            con.execute("SELECT count(*) FROM rejected_tools WHERE rejection_id = 'held'").fetchone()[0] == 1
        )
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
    assert check_warehouse(wh) == []


@pytest.mark.slow
def test_two_ingest_flows_at_once(tmp_path, prefect_api_url):
    """Two real `envscale ingest` processes on one home: both finish (serialized) or one says WarehouseBusy."""
    from tests.support.reliability.crash import cli_env, run_cli, write_large_corpus

    for part in ("a", "b"):
        write_large_corpus(tmp_path / part, seed=ord(part), files=150, per_file=4)
    home = tmp_path / "home"
    env = cli_env(home, PREFECT_API_URL=prefect_api_url, ENVSCALE_INGEST__RUN_CONTRACT="false")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "envscale.cli", "ingest", str(tmp_path / p)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in ("a", "b")
    ]
    outcomes = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
    for _, err, code in outcomes:
        assert code == 0 or (code == 1 and "WarehouseBusy" in err), err[-2000:]
    wh = Warehouse(home / "warehouse.duckdb")
    assert check_warehouse(wh) == []
    ok = [p for p, (_, _, code) in zip(("a", "b"), outcomes, strict=True) if code == 0]
    with wh.connect(read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM tools").fetchone()[0]
    expected = 0
    for part in ok:  # what each finished ingest gives alone
        ref = run_cli(
            ["ingest", str(tmp_path / part)],
            cli_env(
                tmp_path / f"ref-{part}",
                PREFECT_API_URL=prefect_api_url,
                ENVSCALE_INGEST__RUN_CONTRACT="false",
            ),
        )
        assert ref.returncode == 0
        with Warehouse(tmp_path / f"ref-{part}" / "warehouse.duckdb").connect(read_only=True) as con:
            expected += con.execute("SELECT count(*) FROM tools").fetchone()[0]
    assert ok and stored == expected
