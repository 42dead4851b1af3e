"""Benchmark: the reliability figures, from the same generators as ``tests/reliability`` (no pytest).

    python bench/reliability.py [--seed 0] [--files 8] [--kills 4] [--no-processes]

Prints one table: per guarantee and category, the inputs tried, crashes, lost and
duplicated items, hostile statements blocked (checker / runtime / bare sandbox), and
faults survived. ``--no-processes`` skips the parts that start `envscale` processes
(crash/resume, two writers), which need a Prefect API (a temporary one is started).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.support.reliability.crash import CrashReport

os.environ.setdefault("OMP_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support (test tooling, not installed)

from envscale.home import activate  # noqa: E402

ROWS: list[dict[str, object]] = []
COLUMNS = (
    "guarantee",
    "category",
    "tried",
    "crashes",
    "lost",
    "duplicated",
    "blocked",
    "faults survived",
    "detail",
)


def row(guarantee: str, category: str, tried: int, *, detail: str = "", **figures: object) -> None:
    """One line of the table; ``figures`` fill the standard columns (crashes, lost, duplicated, ...)."""
    ROWS.append(
        {
            "guarantee": guarantee,
            "category": category,
            "tried": tried,
            "detail": detail,
            **{k.replace("_", " "): v for k, v in figures.items()},
        }
    )


def malformed(seed: int, files: int, work: Path) -> None:
    from envscale.environments.catalog.ingest import ingest_paths
    from tests.support.reliability.corpus import generate

    corpus = generate(seed, files)
    by_cat: dict[str, Counter] = defaultdict(Counter)
    for f in corpus:
        path = f.write(work / "corpus")
        c = by_cat[f.category]
        c["files"] += 1
        c["entries"] += len(f.good) + len(f.bad)
        try:
            result = ingest_paths([path])
        except Exception:  # noqa: BLE001 - counted, that is the point
            c["crashes"] += 1
            continue
        accepted = {s.pointer for t in result.tools for s in t.sources}
        rejected = {r.source.pointer for r in result.rejections}
        c["lost"] += len(f.good - accepted)
        c["missed"] += len(f.bad - rejected)
        c["rejected"] += len(rejected)
        c["no_reason"] += sum(1 for r in result.rejections if not r.reason.strip())
    for category, c in sorted(by_cat.items()):
        row(
            "malformed schemas",
            f"{category} ({c['entries']} entries)",
            c["files"],
            crashes=c["crashes"],
            lost=c["lost"],
            blocked=c["rejected"],
            detail=f"bad accepted {c['missed']}, rejections without reason {c['no_reason']}",
        )


def hostile(work: Path) -> None:
    import duckdb

    from envscale.environments import sandbox
    from envscale.environments.programs.checker import ProgramError, check_program
    from tests.support.reliability.hostile_sql import (
        HOSTILE,
        INJECTIONS,
        hostile_program,
        load_shop,
        note_program,
        scratch,
    )

    scratch(work / "scratch")
    places = {"dir": str(work / "scratch"), "warehouse": str(work / "wh.duckdb"), "other": "other_orders"}
    by_cat: dict[str, Counter] = defaultdict(Counter)
    for h in HOSTILE:
        c = by_cat[h.category]
        c["tried"] += 1
        sql = h.render(**places)
        program, tool = hostile_program("evil", sql, write=h.write)
        try:
            check_program(program, ("customers", "orders", "notes"), tool.parameters)
        except ProgramError:
            c["checker"] += 1
        env = load_shop((program,), (tool,))
        with env.open_episode() as ep:
            c["runtime"] += not ep.call("evil", {}).ok
        env.close()
        con = sandbox.connect()
        con.execute("CREATE TABLE orders (order_id VARCHAR PRIMARY KEY)")
        con.execute("CREATE TABLE customers (customer_id VARCHAR PRIMARY KEY)")
        try:
            con.execute(sql).fetchall()
        except duckdb.Error:
            c["bare"] += 1
        con.close()
    for category, c in sorted(by_cat.items()):
        row(
            "hostile SQL",
            category,
            c["tried"],
            blocked=f"{c['checker']} / {c['runtime']} / {c['bare']}",
            detail="checker / runtime without checker / bare sandboxed connection",
        )
    program, tool = note_program()
    env = load_shop((program,), (tool,))
    verbatim = 0
    with env.open_episode() as ep:
        for i, payload in enumerate(INJECTIONS):
            out = ep.call("add_note", {"note_id": f"k{i}", "body": payload})
            verbatim += out.ok and out.content["body"] == payload
    env.close()
    row(
        "hostile SQL", "SQL-looking arguments", len(INJECTIONS), detail=f"stored verbatim as data: {verbatim}"
    )


def faults(seed: int, work: Path) -> None:
    from envscale.config import EndpointSettings, LLMSettings, SynthesizeSettings
    from envscale.environments.synthesis import store
    from envscale.environments.synthesis.run import synthesize_environments
    from envscale.environments.synthesis.sample_env import register_sample_env
    from envscale.warehouse import open_warehouse
    from tests.support import standin
    from tests.support.reliability.faults import MARKED, RETRYABLE, FaultInjector

    home = activate(work / "faults")
    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    injector = FaultInjector(standin.tool_then_answer, seed=seed, rate=0.35)
    settings = SynthesizeSettings(
        blueprints_per_environment=6, attempts_per_blueprint=4, episodes_in_flight=8
    )
    with standin.StandInServer(injector) as server:
        llm = LLMSettings(agent=EndpointSettings(base_url=server.base_url, timeout_s=0.5, max_retries=3))
        report = synthesize_environments(
            wh, [manifest], home.environments, settings=settings, llm=llm, run_id=None
        )
    trajectories = store.load_trajectories(wh)
    marked = sum(
        1 for t in trajectories for i in t.issues if i.code in ("invalid_reply", "invalid_json_arguments")
    )
    retried = sum(injector.injected[k] for k in RETRYABLE)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(injector.injected.items()))
    row(
        "endpoint faults",
        "synthesis, 35% of replies faulty",
        report.planned,
        crashes=0,
        lost=report.planned - len(trajectories),
        faults_survived=f"{report.llm_usage['agent']['retries']}/{retried} retried, "
        f"{marked}/{sum(injector.injected[k] for k in MARKED)} marked",
        detail=f"{injector.requests} requests: {kinds}",
    )


def concurrency(work: Path) -> None:
    from envscale.environments.synthesis.sample_env import build_sample_env
    from tests.support.reliability.workloads import run_episodes

    manifest = build_sample_env(work / "envs")
    alone, _ = run_episodes(manifest, work / "envs", 256, concurrent=False)
    started = time.perf_counter()
    together, forks = run_episodes(manifest, work / "envs", 256, concurrent=True)
    mismatched = sum(alone[i] != together[i] for i in alone)
    row(
        "concurrency",
        "256 episodes in threads vs one by one",
        256,
        crashes=0,
        lost=mismatched,
        detail=f"states differing {mismatched}, forked after a conflict {forks}, {time.perf_counter() - started:.1f} s",
    )


def crash_row(category: str, report: CrashReport, detail: str) -> None:
    """The crash/resume row of one kill-and-rerun report: what was expected, lost, duplicated, and the kills."""
    row(
        "crash/resume",
        category,
        report.expected,
        lost=report.lost,
        duplicated=report.duplicated,
        faults_survived=f"{report.kills} kills",
        detail=detail,
    )


def processes(seed: int, kills: int, work: Path) -> None:
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    from tests.support.reliability.crash import (
        ingest_crash_resume,
        synthesis_crash_resume,
        synthesis_killpoint_resume,
        training_crash_resume,
        write_large_corpus,
    )

    with prefect_test_harness(server_startup_timeout=300):
        url = str(PREFECT_API_URL.value())
        r = synthesis_crash_resume(work / "synth", seed=seed, kills=kills, prefect_api_url=url)
        crash_row(
            "envscale synthesize, SIGKILL",
            r,
            f"{r.kills_mid_work} mid-work, integrity problems {len(r.integrity)}",
        )
        r, after = synthesis_killpoint_resume(work / "killpoint", kill_at=(4, 3), prefect_api_url=url)
        crash_row(
            "envscale synthesize, SIGKILL mid-commit",
            r,
            f"stored after each kill {after} (= committed), integrity problems {len(r.integrity)}",
        )
        write_large_corpus(work / "corpus", seed=seed)
        r = ingest_crash_resume(
            work / "ingest", work / "ingest-ref", work / "corpus", seed=seed, kills=kills, prefect_api_url=url
        )
        crash_row("envscale ingest, SIGKILL", r, f"integrity problems {len(r.integrity)}")
    try:
        t = training_crash_resume(work / "train", seed=seed)
        row(
            "crash/resume",
            "train stage, SIGKILL + half-written checkpoint",
            t["max_steps"],
            lost=t["max_steps"] - t["global_step"],
            faults_survived="1 kill",
            detail=f"resumed from {Path(t['resumed_from']).name}, final step {t['global_step']}",
        )
    except ImportError as exc:
        row("crash/resume", "train stage", 0, skipped=str(exc))


def fast_failures(work: Path) -> None:
    """Stages on an empty home: the preflight's one line, and how long the process took."""
    import subprocess

    envscale = str(Path(sys.executable).with_name("envscale"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENVSCALE_", "PREFECT_", "MLFLOW_"))}
    commands = (["build"], ["synthesize"], ["synthesize", "--env", "nosuchenv"], ["validate"], ["train"])
    commands += (["evaluate"], ["promote"])
    walls, one_line, tracebacks = [], 0, 0
    for args in commands:
        started = time.perf_counter()
        done = subprocess.run(
            [envscale, "--home", str(work / "empty"), *args], env=env, capture_output=True, text=True
        )
        walls.append(time.perf_counter() - started)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        one_line += done.returncode in (1, 2) and len(lines) <= 2
        tracebacks += "Traceback" in done.stdout + done.stderr
    row(
        "fast failures",
        "stage on an empty home (preflight)",
        len(commands),
        crashes=tracebacks,
        detail=f"one line + error.txt: {one_line}/{len(commands)}; wall {min(walls):.2f}–{max(walls):.2f} s",
    )


def print_table() -> None:
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "|".join("---" for _ in COLUMNS) + "|")
    for r in ROWS:
        print("| " + " | ".join(str(r.get(k, "")) for k in COLUMNS) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--files", type=int, default=8, help="corpus files per malformed-schema category")
    parser.add_argument("--kills", type=int, default=4, help="SIGKILLs per crash/resume run")
    parser.add_argument("--no-processes", action="store_true", help="skip crash/resume (starts processes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="envscale-reliability-") as tmp:
        work = Path(tmp)
        activate(work / "session")
        started = time.perf_counter()
        malformed(args.seed, args.files, work)
        hostile(work)
        faults(args.seed, work)
        concurrency(work)
        fast_failures(work)
        if not args.no_processes:
            processes(args.seed, args.kills, work)
        print_table()
        print(f"\n(seed {args.seed}; {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # hostile statements make it chatty
    main()
