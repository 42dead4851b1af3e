"""Crash and resume: SIGKILL real processes at seeded random points; reruns lose nothing and duplicate nothing.

- synthesis: ``envscale synthesize`` against the stand-in, killed on the k-th LLM request
  (mid-episode) or after a random delay (start-up included), several times; the rerun ends
  with exactly the planned trajectories and a warehouse that passes ``check_warehouse``;
- ingestion: ``envscale ingest`` of a large corpus killed at random times: each kill leaves
  all or nothing, the rerun's catalog equals one clean ingest's;
- training: a stage killed after a random checkpoint (and a half-written newer checkpoint
  planted) resumes from the last complete checkpoint to the same final step.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from envscale.integrity import check_warehouse, reap_dead_runs
from envscale.owners import current_owner
from envscale.warehouse import open_warehouse
from tests.support.reliability.crash import (
    ingest_crash_resume,
    synthesis_crash_resume,
    synthesis_killpoint_resume,
    training_crash_resume,
    write_large_corpus,
)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_synthesis_killed_repeatedly_completes_exactly(tmp_path, prefect_api_url, seed):
    report = synthesis_crash_resume(tmp_path / "home", seed=seed, kills=4, prefect_api_url=prefect_api_url)
    assert report.kills >= 2 and report.kills_mid_work >= 1, report.attempts
    assert report.lost == 0 and report.duplicated == 0 and report.unexpected == 0
    assert report.final == report.distinct == report.expected
    assert report.integrity == []
    # every run a kill interrupted is marked so; exactly one run completed the job
    assert report.run_statuses.get("running", 0) == 0
    assert report.run_statuses.get("completed", 0) >= 1
    assert report.run_statuses.get("interrupted", 0) >= 1


@pytest.mark.slow
def test_ingestion_killed_at_random_times_is_all_or_nothing(tmp_path, prefect_api_url):
    write_large_corpus(tmp_path / "corpus", seed=0)
    report = ingest_crash_resume(
        tmp_path / "home",
        tmp_path / "reference",
        tmp_path / "corpus",
        seed=0,
        kills=3,
        prefect_api_url=prefect_api_url,
    )
    assert report.kills == 3
    for attempt in report.attempts:  # one transaction: a kill leaves the whole catalog or none of it
        assert attempt.rows_after in (0, report.expected), attempt
    assert report.lost == 0 and report.duplicated == 0 and report.unexpected == 0
    assert report.final == report.expected > 1000
    assert report.integrity == []
    assert report.run_statuses.get("running", 0) == 0


@pytest.mark.slow
def test_training_resumes_from_the_last_complete_checkpoint(tmp_path):
    pytest.importorskip("trl", reason="training is not installed")
    report = training_crash_resume(tmp_path, seed=0)
    assert report["resumable"], "the kill landed before any checkpoint"
    assert report["resumed_from"].endswith(f"checkpoint-{report['resumable'][-1]}")
    assert report["global_step"] == report["max_steps"]
    assert not report["partial_left"]  # the half-written checkpoint was discarded, not resumed from


def test_integrity_reports_what_a_crash_can_leave(home):
    """The checks can fail: orphans, a duplicated synthesis key, a dead 'running' run."""
    wh = open_warehouse(home.warehouse)
    assert check_warehouse(wh) == []
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    owner = {"host": current_owner()["host"], "pid": sleeper.pid, "start": None}
    with wh.transaction() as con:
        con.execute(
            "INSERT INTO runs (run_id, flow, status, started_at, owner) VALUES ('r1', 'synthesize', 'running', now(), ?)",
            [json.dumps(owner)],
        )
        traj = {
            "task_id": "missing-task",
            "env_id": "missing-env",
            "blueprint_id": "missing-bp",
            "attempt": 0,
            "mode": "forward",
            "messages": [],
            "tools": [],
            "termination": "user_stop",
            "lineage_hash": "x",
            "run_id": "r1",
        }
        wh.insert("trajectories", [{"trajectory_id": "t1", **traj}, {"trajectory_id": "t2", **traj}], con=con)
    alive = check_warehouse(wh)  # the run's process is alive: not reported
    assert not any("is 'running'" in p for p in alive)
    assert any("task_id is missing from tasks" in p for p in alive)
    assert any("blueprint_id is missing from blueprints" in p for p in alive)
    assert any("played twice" in p for p in alive)

    sleeper.kill()
    sleeper.wait()
    dead = check_warehouse(wh)
    assert any("r1 (synthesize) is 'running' but its process" in p for p in dead)
    assert reap_dead_runs(wh) == ["r1"]
    with wh.connect() as con:
        assert con.execute("SELECT status FROM runs WHERE run_id = 'r1'").fetchone()[0] == "interrupted"
    assert not any("is 'running'" in p for p in check_warehouse(wh))


def test_status_shows_a_killed_run_as_interrupted_at_once(tmp_path):
    """#19.5: a real process starts a run and is SIGKILLed; `envscale status` (no flow in between) says interrupted."""
    import os
    import signal
    from pathlib import Path

    from tests.support.reliability.crash import cli_env

    home = tmp_path / "home"
    env = cli_env(home)
    code = (
        "import time; from envscale.warehouse import open_warehouse; from envscale.home import resolve_home\n"
        "wh = open_warehouse(resolve_home().warehouse)\n"
        "print(wh.start_run('synthesize', {}), flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    try:
        run_id = child.stdout.readline().strip()
        assert run_id.startswith("synthesize-")

        def status() -> dict:
            out = subprocess.run(
                [str(Path(sys.executable).with_name("envscale")), "status", "--json"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            ).stdout
            return {r["run_id"]: r for r in json.loads(out)["runs"]}

        assert status()[run_id]["status"] == "running"  # alive: still running (the check can fail)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    run = status()[run_id]
    assert run["status"] == "interrupted"
    assert str(child.pid) in run["error"]


@pytest.mark.slow
def test_synthesis_killed_mid_commit_after_some_trajectories_loses_and_duplicates_nothing(
    tmp_path, prefect_api_url
):
    """#19.7: kill points inside the k-th trajectory's write transaction (rows of k-1 committed, the
    k-th inserted and not committed, others mid-episode); reruns end with exactly the planned set."""
    report, after_kills = synthesis_killpoint_resume(
        tmp_path / "home", kill_at=(4, 3), prefect_api_url=prefect_api_url
    )
    assert report.kills == 2, report.attempts
    # exactly the committed ones survive each kill: 3, then 3 + 2 (the rerun keeps what was left)
    assert after_kills == [3, 5]
    assert report.lost == 0 and report.duplicated == 0 and report.unexpected == 0
    assert report.final == report.distinct == report.expected == 12
    assert report.integrity == []
    assert report.run_statuses == {"interrupted": 2, "completed": 1}
