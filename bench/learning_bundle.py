"""The learning experiment split in two: data here, training + evaluation on a bare GPU machine.

A lent GPU machine has torch/transformers/accelerate/peft but none of Prefect,
MLflow, DuckDB or TRL, and a call carries at most 64 MiB. So the data half
(ingest → build → synthesize → validate → export) runs where envscale is
installed and writes a *bundle*: the exported splits, the evaluation task sets
and the DuckDB files they play on (a few MB). The device half reads the bundle
with only envscale's core, TRL and the serving stack: it trains stage 1 and
stage 2 with ``envscale.models.training.train_stage`` and evaluates base /
stage 1 / stage 1+2 with the same engine and judge as the ``evaluate`` flow.

Bundle layout::

    bundle.json              budget, seed, k, vertical selectors, row counts, created, code version
    splits/stage1.parquet    general trajectories   (as export_datasets writes them)
    splits/stage2.parquet    vertical trajectories
    splits/heldout.parquet   held-out trajectories (not trained on; kept for the record)
    tasks.json               {set name: {tasks, skipped, envs: {env_id: {manifest, db}}}}
    envs/<env_id>.duckdb     the environments the tasks play on
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

BUNDLE_FILE = "bundle.json"
SPLITS = ("stage1", "stage2", "heldout")


def write_bundle(bundle: Path, export: Any, sets: dict[str, Any], *, meta: dict[str, Any]) -> Path:
    """Copy the export's splits, the task sets and their DuckDB files into ``bundle``."""
    from envscale.models.registry import code_version

    bundle = Path(bundle)
    if bundle.exists():
        if not (bundle / BUNDLE_FILE).is_file() and any(bundle.iterdir()):
            # Replacing is for an older bundle only: never wipe a folder that is something else.
            raise SystemExit(f"{bundle} exists and is not a learning bundle; pick an empty or new folder")
        shutil.rmtree(bundle)
    (bundle / "splits").mkdir(parents=True)
    (bundle / "envs").mkdir()
    rows = {}
    for name in SPLITS:
        split = export.splits.get(name)
        if split is not None:
            shutil.copy2(split.path, bundle / "splits" / f"{name}.parquet")
            rows[name] = split.n_rows
    payload: dict[str, Any] = {}
    for set_name, task_set in sets.items():
        envs = {}
        for env_id, (manifest, db_path) in task_set.envs.items():
            target = bundle / "envs" / f"{env_id}.duckdb"
            if not target.exists():
                shutil.copy2(db_path, target)
            envs[env_id] = {"manifest": manifest.model_dump(mode="json"), "db": f"envs/{env_id}.duckdb"}
        payload[set_name] = {
            "tasks": [t.model_dump(mode="json") for t in task_set.tasks],
            "skipped": [s.model_dump(mode="json") for s in task_set.skipped],
            "envs": envs,
        }
    (bundle / "tasks.json").write_text(json.dumps(payload))
    meta = {
        **meta,
        "rows": rows,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "code_version": code_version(),
    }
    (bundle / BUNDLE_FILE).write_text(json.dumps(meta, indent=2))
    return bundle


def read_meta(bundle: Path) -> dict[str, Any]:
    path = Path(bundle) / BUNDLE_FILE
    if not path.is_file():
        raise SystemExit(f"{bundle} is not a learning bundle (no {BUNDLE_FILE}); make one with --phase data")
    return json.loads(path.read_text())


def read_task_sets(bundle: Path, work: Path) -> dict[str, Any]:
    """The bundle's task sets, each environment's DuckDB file copied under ``work`` (episodes may write)."""
    from envscale.environments.evaluation.records import EvalTask, SkippedTask
    from envscale.environments.evaluation.tasks import TaskSet
    from envscale.environments.manifest import EnvironmentManifest

    bundle, work = Path(bundle), Path(work)
    work.mkdir(parents=True, exist_ok=True)
    sets = {}
    for set_name, raw in json.loads((bundle / "tasks.json").read_text()).items():
        envs = {}
        for env_id, env in raw["envs"].items():
            db = work / Path(env["db"]).name
            if not db.exists():
                shutil.copy2(bundle / env["db"], db)
            envs[env_id] = (EnvironmentManifest.model_validate(env["manifest"]), db)
        sets[set_name] = TaskSet(
            tasks=[EvalTask.model_validate(t) for t in raw["tasks"]],
            envs=envs,
            skipped=[SkippedTask.model_validate(s) for s in raw["skipped"]],
        )
    return sets


RL_SET = "rl: training-split tasks"  # the device phase trains GRPO on it and never evaluates it


def split_rl_set(sets: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The sets to evaluate, and the RL stage's training tasks (None when the bundle has none)."""
    evaluated = {name: s for name, s in sets.items() if name != RL_SET}
    return evaluated, sets.get(RL_SET)


def train_two_stages(bundle: Path, base_dir: Path, out: Path, settings: Any, device: str) -> dict[str, Any]:
    """Stage 1 from the base, stage 2 from stage 1 (each resumable); a stage without rows is skipped."""
    from envscale.models.training import train_stage

    results: dict[str, Any] = {}
    start = base_dir
    stage_lr = {"stage1": settings.learning_rate, "stage2": settings.stage2_learning_rate}
    for stage in ("stage1", "stage2"):
        parquet = Path(bundle) / "splits" / f"{stage}.parquet"
        if not parquet.is_file() or _rows(parquet) == 0:
            continue
        result = train_stage(
            stage, start, parquet, out / stage, settings, learning_rate=stage_lr[stage], device=device
        )
        results[stage] = result
        start = Path(result.model_dir)
        print(
            f"{stage}: {result.n_examples} rows, {result.global_step} steps, loss {result.train_loss}, "
            f"{result.tokens_seen} tokens in {result.runtime_s:.0f} s",
            flush=True,
        )
    return results


def _rows(parquet: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(parquet).metadata.num_rows


if __name__ == "__main__":
    import sys

    # A library, not a script: say so (and what it holds) instead of silently doing nothing.
    print(__doc__.rstrip())
    print(
        "\nThis module is a library used by bench/learning_experiment.py (and device_learning.sh);\n"
        "run `python bench/learning_experiment.py --help` for the experiment itself."
    )
    sys.exit(0 if sys.argv[1:] in ([], ["--help"], ["-h"]) else 2)
