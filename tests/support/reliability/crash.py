"""Kill a real ``envscale`` process at random points, rerun it, and count what was lost or duplicated.

The synthesis run goes through the CLI against the stand-in server; a kill is either
timed (anywhere: start-up, migration, blueprint sampling, writing) or triggered by the
stand-in on the k-th LLM request (mid-episode, often mid-commit of a neighbour).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support import standin


@dataclass
class Attempt:
    """One process run: how it ended."""

    kill: str  # 'none', 'request:<k>' or 'time:<s>'
    killed: bool
    returncode: int | None
    wall_s: float
    stderr_tail: str = ""
    rows_after: int = 0  # the item count after it ended (trajectories, tools, ...)


@dataclass
class CrashReport:
    expected: int = 0
    final: int = 0
    distinct: int = 0
    lost: int = 0
    duplicated: int = 0
    unexpected: int = 0
    kills: int = 0
    kills_mid_work: int = 0  # kills after which some but not all items existed
    integrity: list[str] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    run_statuses: dict[str, int] = field(default_factory=dict)


class KillSwitch:
    """Wraps a stand-in responder: on the armed request number, SIGKILL the armed process."""

    def __init__(self, responder: standin.Responder) -> None:
        self.responder = responder
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._at = 0
        self._seen = 0
        self.fired = False

    def arm(self, pid: int, at_request: int) -> None:
        with self._lock:
            self._pid, self._at, self._seen, self.fired = pid, at_request, 0, False

    def disarm(self) -> None:
        with self._lock:
            self._pid = None

    def __call__(self, request: dict[str, Any]) -> Any:
        with self._lock:
            self._seen += 1
            if self._pid is not None and self._seen >= self._at:
                try:
                    os.kill(self._pid, signal.SIGKILL)
                    self.fired = True
                except ProcessLookupError:
                    pass
                self._pid = None
        return self.responder(request)


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of an ``envscale`` subprocess on ``home`` (plus ENVSCALE_* / PREFECT_* overrides)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENVSCALE_", "PREFECT_"))}
    env.update(ENVSCALE_HOME=str(home), PYTHONUNBUFFERED="1", PREFECT_LOGGING_LEVEL="WARNING")
    env.update(extra)
    return env


def run_cli(
    args: list[str],
    env: dict[str, str],
    *,
    timeout_s: float = 300,
    kill_after_s: float | None = None,
    on_start: Callable[[int], None] | None = None,
) -> Attempt:
    """``python -m envscale.cli <args>``; SIGKILL after ``kill_after_s`` when given."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "envscale.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if on_start is not None:
        on_start(proc.pid)
    killed_by_timer = False
    try:
        out, err = proc.communicate(timeout=kill_after_s if kill_after_s is not None else timeout_s)
    except subprocess.TimeoutExpired:
        if kill_after_s is None:
            proc.kill()
            out, err = proc.communicate()
            raise RuntimeError(
                f"envscale {' '.join(args)} did not finish in {timeout_s}s: {err[-2000:]}"
            ) from None
        proc.send_signal(signal.SIGKILL)
        killed_by_timer = True
        out, err = proc.communicate()
    wall = time.perf_counter() - started
    killed = killed_by_timer or proc.returncode == -signal.SIGKILL
    return Attempt(
        kill="", killed=killed, returncode=proc.returncode, wall_s=wall, stderr_tail=(err or "")[-1500:]
    )


def _count(wh: Any, table: str, key: str) -> tuple[int, int]:
    with wh.connect(read_only=True) as con:
        return con.execute(f"SELECT count(*), count(DISTINCT {key}) FROM {table}").fetchone()


def _rerun_to_completion(
    report: CrashReport, args: list[str], env: dict[str, str], *, rows: Callable[[], int] | None = None
) -> None:
    """The unkilled rerun after the kills: recorded as the last attempt (with the item count ``rows``
    reads, when given); a failure is the test's failure."""
    final = run_cli(args, env)
    final.kill = "none"
    if rows is not None:
        final.rows_after = rows()
    report.attempts.append(final)
    if final.returncode != 0:
        raise RuntimeError(f"the rerun after the kills failed: {final.stderr_tail}")


def _count_trajectories(report: CrashReport, wh: Any, env_id: str, *, blueprints: int, attempts: int) -> None:
    """Fill ``report`` from the warehouse after the last synthesis run: the trajectories stored against
    the ``attempts`` wanted for each of the first ``blueprints`` blueprints, integrity and run statuses."""
    from envscale.environments.synthesis import store
    from envscale.environments.synthesis.records import Trajectory
    from envscale.integrity import check_warehouse

    report.final, report.distinct = _count(wh, "trajectories", "trajectory_id")
    want = {
        Trajectory.make_id(env_id, b.blueprint_id, a, "forward")
        for b in store.load_blueprints(wh, env_id)[:blueprints]
        for a in range(attempts)
    }
    have = store.trajectory_ids(wh)
    report.lost = len(want - have)
    report.unexpected = len(have - want)
    report.duplicated = report.final - report.distinct
    report.integrity = check_warehouse(wh)
    with wh.connect(read_only=True) as con:
        report.run_statuses = dict(
            con.execute(
                "SELECT status, count(*) FROM runs WHERE flow = 'synthesize' GROUP BY status"
            ).fetchall()
        )


def synthesis_crash_resume(
    home: Path,
    *,
    seed: int,
    kills: int,
    blueprints: int = 8,
    attempts: int = 2,
    latency_s: float = 0.05,
    prefect_api_url: str | None = None,
) -> CrashReport:
    """Kill ``envscale synthesize`` ``kills`` times at seeded random points, then let it finish; count."""
    from envscale.environments.synthesis.sample_env import register_sample_env
    from envscale.home import activate
    from envscale.warehouse import open_warehouse

    rng = random.Random(seed)
    h = activate(home)
    wh = open_warehouse(h.warehouse)
    manifest = register_sample_env(wh, h.environments)
    switch = KillSwitch(standin.tool_then_answer)
    report = CrashReport(expected=blueprints * attempts)
    with standin.StandInServer(switch, latency_s=latency_s, record=False) as server:
        extra = {
            "ENVSCALE_LLM__AGENT__BASE_URL": server.base_url,
            "ENVSCALE_LLM__AGENT__MAX_RETRIES": "0",
            "ENVSCALE_SYNTHESIZE__ATTEMPTS_PER_BLUEPRINT": str(attempts),
            "ENVSCALE_SYNTHESIZE__SEED": str(seed),
        }
        if prefect_api_url:
            extra["PREFECT_API_URL"] = prefect_api_url
        env = cli_env(h.root, **extra)
        args = ["synthesize", "--blueprints", str(blueprints), "--in-flight", "2"]
        for i in range(kills):
            remaining = report.expected - _count(wh, "trajectories", "trajectory_id")[0]
            if i == 0 or rng.random() < 0.75:  # mid-work: on the k-th LLM request of this process
                at = rng.randint(2 if i == 0 else 1, max(2, 2 * remaining))
                attempt = run_cli(args, env, on_start=lambda pid, at=at: switch.arm(pid, at))
                attempt.kill = f"request:{at}"
            else:  # anywhere, start-up included
                delay = round(rng.uniform(0.3, 5.0), 2)
                attempt = run_cli(args, env, kill_after_s=delay)
                attempt.kill = f"time:{delay}"
            switch.disarm()
            attempt.rows_after = _count(wh, "trajectories", "trajectory_id")[0]
            report.attempts.append(attempt)
            if attempt.killed:
                report.kills += 1
                report.kills_mid_work += 0 < attempt.rows_after < report.expected
            elif attempt.returncode != 0:
                raise RuntimeError(f"synthesize failed without a kill: {attempt.stderr_tail}")
        _rerun_to_completion(report, args, env, rows=lambda: _count(wh, "trajectories", "trajectory_id")[0])

    _count_trajectories(report, wh, manifest.env_id, blueprints=blueprints, attempts=attempts)
    return report


def synthesis_killpoint_resume(
    home: Path,
    *,
    kill_at: tuple[int, ...] = (4, 3),
    blueprints: int = 6,
    attempts: int = 2,
    in_flight: int = 3,
    prefect_api_url: str | None = None,
) -> tuple[CrashReport, list[int]]:
    """Kill ``envscale synthesize`` inside the k-th trajectory's write transaction, for each k of
    ``kill_at`` in turn (``envscale.killpoint``), then let it finish; count. Also returns the number
    of trajectories stored after each kill."""
    from envscale.environments.synthesis.sample_env import register_sample_env
    from envscale.home import activate
    from envscale.killpoint import ENV as KILL_AT
    from envscale.warehouse import open_warehouse

    h = activate(home)
    wh = open_warehouse(h.warehouse)
    manifest = register_sample_env(wh, h.environments)
    report = CrashReport(expected=blueprints * attempts)
    args = ["synthesize", "--blueprints", str(blueprints), "--in-flight", str(in_flight)]
    after_kills: list[int] = []
    with standin.StandInServer(standin.tool_then_answer, latency_s=0.02, record=False) as server:
        base = {
            "ENVSCALE_LLM__AGENT__BASE_URL": server.base_url,
            "ENVSCALE_SYNTHESIZE__ATTEMPTS_PER_BLUEPRINT": str(attempts),
        }
        if prefect_api_url:
            base["PREFECT_API_URL"] = prefect_api_url
        for at in kill_at:
            attempt = run_cli(args, cli_env(h.root, **base, **{KILL_AT: f"trajectory-commit:{at}"}))
            attempt.kill = f"trajectory-commit:{at}"
            attempt.rows_after = _count(wh, "trajectories", "trajectory_id")[0]
            report.attempts.append(attempt)
            report.kills += attempt.killed
            report.kills_mid_work += attempt.killed and 0 < attempt.rows_after < report.expected
            after_kills.append(attempt.rows_after)
        _rerun_to_completion(report, args, cli_env(h.root, **base))
    _count_trajectories(report, wh, manifest.env_id, blueprints=blueprints, attempts=attempts)
    return report, after_kills


def write_large_corpus(directory: Path, *, seed: int, files: int = 400, per_file: int = 5) -> int:
    """Healthy multi-tool files plus the broken corpus: the input of the ingestion kill test. Returns files written."""
    import json

    from tests.support.reliability.corpus import generate, good_entry

    rng = random.Random(seed)
    for i in range(files):
        entries = [good_entry(rng, i * per_file + k) for k in range(per_file)]
        path = directory / "healthy" / f"{i // 100:02d}" / f"tools_{i:05d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entries))
    broken = generate(seed, per_category=3)
    for f in broken:
        f.write(directory / "broken")
    return files + len(broken)


def _catalog(wh: Any) -> tuple[set[tuple[str, str]], set[str]]:
    with wh.connect(read_only=True) as con:
        tools = {(r[0], r[1]) for r in con.execute("SELECT tool_id, name FROM tools").fetchall()}
        rejections = {r[0] for r in con.execute("SELECT rejection_id FROM rejected_tools").fetchall()}
    return tools, rejections


def ingest_crash_resume(
    home: Path,
    reference: Path,
    corpus: Path,
    *,
    seed: int,
    kills: int,
    prefect_api_url: str | None = None,
    run_contract: bool = False,
) -> CrashReport:
    """Kill ``envscale ingest`` at seeded random times, rerun; the catalog must equal one clean ingest's.

    ``run_contract`` off by default: the Great Expectations import alone takes ~8 s a process.
    """
    from envscale.home import activate
    from envscale.integrity import check_warehouse
    from envscale.warehouse import Warehouse

    rng = random.Random(seed)
    extra = {"ENVSCALE_INGEST__RUN_CONTRACT": str(run_contract).lower()}
    if prefect_api_url:
        extra["PREFECT_API_URL"] = prefect_api_url
    args = ["ingest", str(corpus)]
    clean = run_cli(args, cli_env(activate(reference).root, **extra))
    if clean.returncode != 0:
        raise RuntimeError(f"the reference ingest failed: {clean.stderr_tail}")
    want_tools, want_rejections = _catalog(Warehouse(activate(reference).warehouse))
    # A second (idempotent) run times a warm process: the first one in a fresh clone also pays for
    # compiling every module, and a kill drawn past the warm run's end would find it finished.
    warm = run_cli(args, cli_env(activate(reference).root, **extra))
    window = min(clean.wall_s, warm.wall_s)
    h = activate(home)
    wh = Warehouse(h.warehouse)
    env = cli_env(h.root, **extra)
    report = CrashReport(expected=len(want_tools))
    for _ in range(kills):
        delay = round(rng.uniform(0.3, 0.9 * window), 2)
        attempt = run_cli(args, env, kill_after_s=delay)
        attempt.kill = f"time:{delay}"
        attempt.rows_after = _count(wh, "tools", "tool_id")[0] if h.warehouse.exists() else 0
        report.attempts.append(attempt)
        report.kills += attempt.killed
        report.kills_mid_work += attempt.killed and attempt.rows_after > 0
    _rerun_to_completion(report, args, env, rows=lambda: _count(wh, "tools", "tool_id")[0])
    have_tools, have_rejections = _catalog(wh)
    report.final, report.distinct = _count(wh, "tools", "tool_id")
    report.duplicated = report.final - report.distinct
    report.lost = len(want_tools - have_tools) + len(want_rejections - have_rejections)
    report.unexpected = len(have_tools - want_tools) + len(have_rejections - want_rejections)
    report.integrity = check_warehouse(wh)
    with wh.connect(read_only=True) as con:
        report.run_statuses = dict(
            con.execute("SELECT status, count(*) FROM runs WHERE flow = 'ingest' GROUP BY status").fetchall()
        )
    return report


_TRAIN_SCRIPT = r"""
import json, sys
from pathlib import Path
from envscale.home import activate
activate(sys.argv[2])
mode, work = sys.argv[1], Path(sys.argv[3])
if mode == "prepare":
    from datasets import Dataset
    from envscale.models.dataset_export import features, to_example
    from envscale.models.tiny import CORPUS_MESSAGES, CORPUS_TOOLS, build_tiny_model
    build_tiny_model(work / "model")
    rows = []
    for i in range(24):
        messages = [dict(m) for m in CORPUS_MESSAGES]
        messages[1] = {"role": "user", "content": f"Please find order {i} and cancel it."}
        rows.append(to_example(f"t{i}", "env", messages, CORPUS_TOOLS))
    Dataset.from_list(rows, features=features()).to_parquet(str(work / "data.parquet"))
else:
    import time
    from transformers import TrainerCallback
    from envscale.config import TrainSettings
    from envscale.models.training import train_stage

    class Slow(TrainerCallback):  # a tiny model's step takes milliseconds: give the killer a window
        def on_step_end(self, args, state, control, **kwargs):
            time.sleep(0.25)

    settings = TrainSettings(max_steps=int(sys.argv[4]), save_steps=1, batch_size=2, learning_rate=1e-3)
    result = train_stage("stage1", work / "model", work / "data.parquet", work / "out", settings, callbacks=[Slow()])
    print("RESULT " + result.model_dump_json())
"""


def complete_checkpoints(ckpt_dir: Path) -> list[int]:
    """Steps of the checkpoints a process finished writing (``trainer_state.json`` is written last)."""
    import json

    steps = []
    for path in ckpt_dir.glob("checkpoint-*"):
        try:
            json.loads((path / "trainer_state.json").read_text())
        except (OSError, ValueError):
            continue
        steps.append(int(path.name.rsplit("-", 1)[-1]))
    return sorted(steps)


def training_crash_resume(
    work: Path, *, seed: int, max_steps: int = 8, home: Path | None = None
) -> dict[str, Any]:
    """Kill a training stage after a random checkpoint, plant a half-written newer one, and resume.

    Returns what the resumed run reported plus the checkpoint it should have resumed from.
    """
    import json

    rng = random.Random(seed)
    home = home or work / "home"
    env = cli_env(home, OMP_NUM_THREADS="1")

    def python(*args: str, kill_when: Callable[[], bool] | None = None) -> Attempt:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", _TRAIN_SCRIPT, *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        killed = False
        if kill_when is not None:
            while proc.poll() is None:
                if kill_when():
                    time.sleep(rng.uniform(0.0, 0.3))  # lands anywhere, mid-save included
                    proc.send_signal(signal.SIGKILL)
                    killed = True
                    break
                time.sleep(0.02)
        out, err = proc.communicate(timeout=600)
        return Attempt(
            kill="",
            killed=killed,
            returncode=proc.returncode,
            wall_s=time.perf_counter() - started,
            stderr_tail=(out or "")[-3000:] + (err or "")[-1500:],
        )

    prep = python("prepare", str(home), str(work))
    if prep.returncode != 0:
        raise RuntimeError(f"preparing the tiny model failed: {prep.stderr_tail}")
    ckpt_dir = work / "out" / "checkpoints"
    kill_after = rng.randint(1, max_steps - 2)
    first = python(
        "train",
        str(home),
        str(work),
        str(max_steps),
        kill_when=lambda: (
            bool(complete_checkpoints(ckpt_dir)) and complete_checkpoints(ckpt_dir)[-1] >= kill_after
        ),
    )
    first.kill = f"after-checkpoint:{kill_after}"
    if not first.killed:
        raise RuntimeError(f"training finished before the kill: {first.stderr_tail}")
    resumable = complete_checkpoints(ckpt_dir)
    # A process killed while saving leaves a numbered folder without trainer_state.json: plant one.
    partial = ckpt_dir / f"checkpoint-{max_steps + 5}"
    partial.mkdir(parents=True, exist_ok=True)
    (partial / "model.safetensors").write_bytes(b"\0" * 128)
    final = python("train", str(home), str(work), str(max_steps))
    if final.returncode != 0:
        raise RuntimeError(f"resuming failed: {final.stderr_tail}")
    line = next(x for x in final.stderr_tail.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    return {
        "killed_at_checkpoint": kill_after,
        "resumable": resumable,
        "resumed_from": result["resumed_from"],
        "global_step": result["global_step"],
        "max_steps": max_steps,
        "partial_left": partial.exists(),
        "attempts": [first, final],
    }
