"""Environment runtime benchmark: a generated environment and τ-bench retail and airline.

    python bench/env_runtime.py [--repeats 200] [--tasks 115]

Prints, per environment: episode open, tool call p50/p99 (read, write), state
hash after a task, diff, full canonical hash (for comparison) and gold-task
replay + verification per task — medians over repeated runs. The generated
environment and τ-bench retail run twice, side by side: as shipped (plain
filters answered in Python from the episode's rows, environments/runtime/row_reads.py)
and with every statement in DuckDB. Targets (2 cores): open ≤ 1 ms, read
p50 ≤ 0.3 ms, write p50 ≤ 1 ms and p99 ≤ 5 ms (issue 16 item 5), hash ≤ 5 ms,
replay+verify ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ENVSCALE_SHARED_DATA", REPO.parent / "shared" / "data"))


def _ms(samples: list[float], q: float = 0.5) -> float:
    if not samples:
        return float("nan")
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))] * 1e3


def _generated(directory: Path):
    from envscale.environments.builder import build_environment

    s = {"type": "string"}

    def tool(name, kind, props, req):
        return SimpleNamespace(
            name=name,
            description=name,
            kind=kind,
            parameters={"type": "object", "properties": props, "required": req},
        )

    tools = [
        tool("get_customer", "read", {"customer_id": s}, ["customer_id"]),
        tool("update_customer_email", "write", {"customer_id": s, "email": s}, ["customer_id", "email"]),
        tool(
            "create_order",
            "write",
            {"customer_id": s, "total": {"type": "number", "minimum": 0}},
            ["customer_id", "total"],
        ),
        tool("get_order", "read", {"order_id": s}, ["order_id"]),
        tool("list_orders", "read", {"customer_id": s}, ["customer_id"]),
        tool("cancel_order", "write", {"order_id": s}, ["order_id"]),
    ]
    result = build_environment(
        tools, name="bench_shop", environments_dir=directory, rows_per_table=500, seed=1
    )
    m = result.manifest
    rng = random.Random(0)
    from envscale.environments.runtime import open_episode

    with open_episode(m, directory=directory) as ep:
        orders = ep.query('SELECT order_id, customer_id FROM "orders" ORDER BY 1')
    tasks = []
    for _ in range(100):
        o = rng.choice(orders)
        tasks.append(
            [
                ("get_customer", {"customer_id": o["customer_id"]}),
                ("list_orders", {"customer_id": o["customer_id"]}),
                ("get_order", {"order_id": o["order_id"]}),
                ("cancel_order", {"order_id": o["order_id"]}),
                ("create_order", {"customer_id": o["customer_id"], "total": 10.0}),
            ]
        )
    return m, tasks


def _tau(domain: str, directory: Path, n_tasks: int):
    from envscale.environments.imports.tau_bench import (
        derived_file,
        gold_tasks,
        import_tau_bench,
        replay_gold,
    )

    root = SHARED / "tau-bench"
    m = import_tau_bench(domain, root, directory)
    derived = derived_file(root)
    tasks = [[(a["name"], a["kwargs"]) for a in t["actions"]] for t in gold_tasks(derived, domain)[:n_tasks]]
    report = replay_gold(m, derived, directory=directory)
    return m, tasks, report


def measure(manifest, tasks, directory: Path, repeats: int, *, python_reads: bool = True) -> dict[str, float]:
    from envscale.environments.runtime.loaded import LoadedEnvironment, full_state_hash

    env = LoadedEnvironment.from_file(
        manifest.db_path(directory),
        env_id=manifest.env_id,
        schema=manifest.db_schema,
        tools=manifest.tools,
        programs=manifest.programs,
        clock=manifest.clock,
        python_reads=python_reads,
    )
    kinds = {t.name: t.kind for t in manifest.tools}
    opens, reads, writes, hashes, diffs, fulls, replays = [], [], [], [], [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ep = env.open_episode()
        opens.append(time.perf_counter() - t0)
        ep.close()
    gold: dict[int, str] = {}
    for rep in range(3):
        for i, task in enumerate(tasks):
            t0 = time.perf_counter()
            ep = env.open_episode()
            for name, args in task:
                c0 = time.perf_counter()
                ep.call(name, args)
                (writes if kinds.get(name) == "write" else reads).append(time.perf_counter() - c0)
            h0 = time.perf_counter()
            h = ep.state_hash()
            hashes.append(time.perf_counter() - h0)
            ok = gold.setdefault(i, h) == h  # verify: equals the first replay's gold hash
            replays.append(time.perf_counter() - t0)
            ep.close()
            assert ok, "replay is not deterministic"
            if rep == 0 and i < 20:
                with env.open_episode() as e2:
                    for name, args in task:
                        e2.call(name, args)
                    d0 = time.perf_counter()
                    e2.diff()
                    diffs.append(time.perf_counter() - d0)
                    f0 = time.perf_counter()
                    full_state_hash(e2._con(), env.schema)
                    fulls.append(time.perf_counter() - f0)
    return {
        "episode open": _ms(opens),
        "read p50": _ms(reads),
        "read p99": _ms(reads, 0.99),
        "write p50": _ms(writes),
        "write p99": _ms(writes, 0.99),
        "call p50 (all)": _ms(reads + writes),
        "state hash (incremental)": _ms(hashes),
        "diff": _ms(diffs),
        "full canonical hash": _ms(fulls),
        "replay + verify / task": _ms(replays),
        "calls / task": statistics.mean(len(t) for t in tasks),
        "reads answered in Python": sum(1 for p in env.programs.values() if p.row_result is not None),
    }


TARGETS = {
    "episode open": 1.0,
    "read p50": 0.3,
    "write p50": 1.0,
    "write p99": 5.0,
    "call p50 (all)": 1.0,
    "state hash (incremental)": 5.0,
    "replay + verify / task": 20.0,
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=115, help="τ-bench gold tasks timed per domain")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="envscale-bench-"))
    columns: dict[str, dict[str, float]] = {}
    m, tasks = _generated(directory)
    columns["generated (500 rows)"] = measure(m, tasks, directory, args.repeats)
    columns["generated, DuckDB only"] = measure(m, tasks, directory, args.repeats, python_reads=False)
    reports = []
    if (SHARED / "tau-bench").is_dir():
        for domain in ("retail", "airline"):
            m, tasks, report = _tau(domain, directory, args.tasks)
            columns[f"τ-bench {domain}"] = measure(m, tasks, directory, args.repeats)
            if domain == "retail":
                columns["retail, DuckDB only"] = measure(
                    m, tasks, directory, args.repeats, python_reads=False
                )
            reports.append(report)
    names = list(next(iter(columns.values())))
    print(
        f"\nenvscale environment runtime ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}); milliseconds, medians"
    )
    header = f"{'metric':26}" + "".join(f"{c:>24}" for c in columns) + f"{'target':>10}"
    print(header)
    print("-" * len(header))
    for n in names:
        target = f"≤ {TARGETS[n]:g}" if n in TARGETS else ""
        print(f"{n:26}" + "".join(f"{columns[c][n]:>24.3f}" for c in columns) + f"{target:>10}")
    for report in reports:
        r = report.as_dict()
        print(
            f"\nτ-bench {r['domain']} import: {r['tools_compiled']}/{r['tools']} tools compiled; gold replay over {r['tasks']} tasks: "
            f"{r['actions_ok']}/{r['actions']} actions ok ({r['action_share']:.1%}), {r['tasks_replayed']} tasks fully ({r['task_share']:.1%})"
        )
        print("top failures:", r["failures"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
