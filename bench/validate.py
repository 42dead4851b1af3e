"""Validation throughput: stages 1-3 + contracts on reverse-mode trajectories, GE on state changes.

    python bench/validate.py [--trajectories 10000] [--state-rows 100000]

Environment: τ-bench retail imported from ../shared/data (real DuckDB runtime).
Blueprints: τ-bench's gold action sequences whose every call replays (writes)
plus blueprints sampled by the synthesis sampler (mostly reads); trajectories
are built from them by the synthesis reverse mode (attempts make them distinct).
Targets (issue 6): ≥ 200 trajectories/s through all three stages + GE;
GE on 100,000 state-change rows ≤ 10 s.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trajectories", type=int, default=10_000)
    parser.add_argument("--state-rows", type=int, default=100_000)
    parser.add_argument(
        "--sampled", type=int, default=300, help="Blueprints to sample besides the gold ones."
    )
    parser.add_argument(
        "--raw", type=int, default=1000, help="Trajectories also validated with the replay memo off."
    )
    parser.add_argument(
        "--shared-data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
    args = parser.parse_args()

    from envscale.home import activate

    scratch = None if os.environ.get("ENVSCALE_HOME") else tempfile.mkdtemp(prefix="envscale-bench-validate-")
    home = activate(os.environ.get("ENVSCALE_HOME") or scratch)
    try:
        run(args, home)
    finally:
        if scratch:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)


def run(args: argparse.Namespace, home) -> None:
    from envscale.config import ValidateSettings
    from envscale.environments.imports.tau_bench import derived_file, gold_tasks, import_tau_bench
    from envscale.environments.runtime import open_episode
    from envscale.environments.synthesis.blueprints import SamplerConfig, probe_rows, sample_blueprint
    from envscale.environments.synthesis.intents import template_task
    from envscale.environments.synthesis.interplay import Job, build_reverse
    from envscale.environments.synthesis.records import Blueprint, GoldCall
    from envscale.environments.validation.contract_frames import state_change_frame
    from envscale.environments.validation.records import StateChangeRecord
    from envscale.environments.validation.store import LoadedEnv
    from envscale.tasks.validate import run_contracts, validate_stages

    tau = args.shared_data / "tau-bench"
    t0 = time.perf_counter()
    manifest = import_tau_bench("retail", tau, home.environments)
    envs = {manifest.env_id: LoadedEnv(manifest, manifest.db_path(home.environments), "tau_bench_retail")}
    kinds = {t.name: t.kind for t in manifest.tools}

    # -- blueprints ------------------------------------------------------------------------------
    blueprints: list[Blueprint] = []
    for task in gold_tasks(derived_file(tau), "retail"):
        calls = []
        with open_episode(manifest, directory=home.environments) as ep:
            for action in task["actions"]:
                if action["name"] not in kinds:
                    break
                before = ep.state_hash()
                result = ep.call(action["name"], action["kwargs"])
                if not result.ok:
                    break
                calls.append(
                    GoldCall(
                        name=action["name"],
                        arguments=action["kwargs"],
                        kind=kinds[action["name"]],
                        ok=True,
                        result=result.content,
                        changed_state=ep.state_hash() != before,
                    )
                )
            else:
                if calls:
                    blueprints.append(Blueprint.recorded(manifest.env_id, calls, ep))
    n_gold = len(blueprints)
    rng = random.Random(0)
    edges = [(e.source, e.target) for e in manifest.edges]
    with open_episode(manifest, directory=home.environments) as ep:
        rows = probe_rows(ep)
    for seed in range(args.sampled):
        with open_episode(manifest, directory=home.environments) as ep:
            bp = sample_blueprint(manifest.env_id, ep, edges, rng, SamplerConfig(), rows=rows, seed=seed)
        if bp.status == "kept":
            blueprints.append(bp)
    unique = {bp.blueprint_id: bp for bp in blueprints}
    blueprints = list(unique.values())
    tools = manifest.openai_tools()
    tasks = {bp.blueprint_id: template_task(bp) for bp in blueprints}
    trajectories = [
        build_reverse(Job(task=tasks[bp.blueprint_id], blueprint=bp, attempt=i // len(blueprints)), tools)
        for i in range(args.trajectories)
        for bp in [blueprints[i % len(blueprints)]]
    ]
    setup_s = time.perf_counter() - t0
    n_write = sum(not bp.read_only for bp in blueprints)

    # -- stages 1-3 + contracts ------------------------------------------------------------------
    settings = ValidateSettings()
    validate_stages(trajectories[:5], unique, envs, settings)  # warm: environment loaded
    import great_expectations  # noqa: F401  (warm: the ~8 s import is not validation work)

    t1 = time.perf_counter()
    stats: dict[str, int] = {}
    outcomes = validate_stages(trajectories, unique, envs, settings, stats)
    stages_s = time.perf_counter() - t1
    # Without the replay memo: every trajectory replayed (the cost of all-distinct call sequences).
    raw = trajectories[: args.raw]
    t5 = time.perf_counter()
    validate_stages(raw, unique, envs, settings.model_copy(update={"replay_memo": 0}))
    raw_s = time.perf_counter() - t5
    t2 = time.perf_counter()
    report = run_contracts(outcomes, trajectories, envs, settings, Path(home.runs) / "bench" / "data_docs")
    contracts_s = time.perf_counter() - t2
    verdicts = {o.trajectory_id: report.verdicts.get(o.trajectory_id, o.verdict).verdict for o in outcomes}
    n = len(trajectories)
    changes = sum(len(o.state.changes) for o in outcomes if o.state is not None)

    # -- GE on 100,000 state-change rows ---------------------------------------------------------
    source = [o.state for o in outcomes if o.state is not None and o.state.changes]
    records: list[StateChangeRecord] = []
    total = 0
    i = 0
    while total < args.state_rows and source:
        rec = source[i % len(source)]
        take = rec.changes[: args.state_rows - total]
        records.append(rec.model_copy(update={"trajectory_id": f"{rec.trajectory_id}-{i}", "changes": take}))
        total += len(take)
        i += 1
    from envscale.data_contracts import state_changes
    from envscale.data_contracts.runner import run_contract
    from envscale.environments.validation.contract_frames import allowed_enum_cells

    t3 = time.perf_counter()
    frame = state_change_frame(records, {manifest.env_id: manifest.db_schema})
    frame_s = time.perf_counter() - t3
    t4 = time.perf_counter()
    result = run_contract(
        state_changes.SUITE,
        frame,
        state_changes.state_changes_suite(allowed_enum_cells({manifest.env_id: manifest.db_schema})),
    )
    ge_s = time.perf_counter() - t4

    # -- report ----------------------------------------------------------------------------------
    def table(title: str, rows: list[tuple[str, str]]) -> None:
        width = max(len(k) for k, _ in rows)
        print(f"\n{title}\n" + "-" * (width + 24))
        for k, v in rows:
            print(f"{k.ljust(width)}  {v}")

    table(
        "setup (τ-bench retail, reverse mode)",
        [
            (
                "blueprints (gold tasks + sampled)",
                f"{len(blueprints)} ({n_gold} gold, {n_write} with writes)",
            ),
            ("trajectories", str(n)),
            ("setup time", f"{setup_s:.1f} s"),
        ],
    )
    table(
        "validation throughput (1 process)",
        [
            ("stages 1-3", f"{stages_s:.2f} s  = {n / stages_s:,.0f} traj/s"),
            ("  replays run / reused (memo)", f"{stats.get('replays', 0)} / {stats.get('memo_hits', 0)}"),
            (f"stages 1-3, no memo ({len(raw)} traj)", f"{raw_s:.2f} s  = {len(raw) / raw_s:,.0f} traj/s"),
            ("contracts (3 suites + Data Docs)", f"{contracts_s:.2f} s"),
            (
                "all three stages + GE",
                f"{stages_s + contracts_s:.2f} s  = {n / (stages_s + contracts_s):,.0f} traj/s  (target ≥ 200)",
            ),
            (
                "verdicts",
                ", ".join(
                    f"{v} {sum(x == v for x in verdicts.values())}"
                    for v in ("accepted", "rejected", "quarantined")
                ),
            ),
            ("state changes replayed", str(changes)),
        ],
    )
    table(
        "GE on state changes",
        [
            ("state-change rows", f"{total:,} ({len(frame):,} cell rows)"),
            ("frame build", f"{frame_s:.2f} s"),
            ("checkpoint (7 expectations)", f"{ge_s:.2f} s"),
            ("total", f"{frame_s + ge_s:.2f} s  (target ≤ 10 s)"),
            ("success", str(result.success)),
        ],
    )


if __name__ == "__main__":
    main()
