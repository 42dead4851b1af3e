"""The learning experiment: base vs stage 1 vs stage 1 + 2, on held-out generated envs and τ-bench retail/airline.

Reproduces the paper's two-stage ablation at small scale. One home holds the
whole run: ingest the sample catalog → build environments → synthesize
(reverse mode: trajectories built from verified blueprints, since a 135M agent
cannot produce usable forward trajectories) → validate → two-stage training
(SmolLM2-135M-Instruct by default). Then the base model, the stage-1 model and
the final stage-1+2 model are each served and evaluated on the SAME task set
(held-out generated environments + τ-bench retail and airline tasks) with the SAME seeds,
k trials per task. Writes ``bench/results/learning_<date>_<budget>.md`` (plus
``_heldout<fraction>`` / ``_split<seed>`` when those differ from the defaults; ``--out``
moves the folder) and prints it.

    python bench/learning_experiment.py --budget tiny            # CPU smoke (~3 min; a 2-layer toy model)
    python bench/learning_experiment.py --budget cpu --threads 2  # SmolLM2 on 2 quiet cores (~1 h)
    python bench/learning_experiment.py --budget small --device cuda
    python bench/learning_experiment.py --budget full --device cuda --home /data/envscale-learning

On a bare GPU machine (no Prefect, MLflow or DuckDB there; see bench/learning_bundle.py
and bench/device_learning.sh), split it: ``--phase data --bundle B`` here, then
``--phase device --bundle B --device cuda --base-model SmolLM2.gguf`` there. The device
phase then also runs the RL stage (issue 16 item 3): GRPO from the stage 1+2 model on tasks
of training-split environments (bundled by the data phase, never the evaluated ones), and
evaluates "stage 1+2 + RL" beside the others (``--rl-steps``; 0 skips it).

What it shows is what it shows: the file reports the numbers, the number of
training trajectories, and what was skipped, without interpretation beyond deltas.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

BUDGETS: dict[str, dict[str, Any]] = {
    # A toy model and a handful of items: proves the plumbing end to end on a CPU in minutes.
    "tiny": dict(
        base_model="tiny",
        max_environments=3,
        blueprints=4,
        max_calls=3,
        max_steps=2,
        k=1,
        max_tasks=3,
        tau_tasks=2,
        rl_steps=1,
        rl_tasks=4,
        max_turns=3,
        max_length=4096,
        max_tokens=16,
        epochs=1.0,
    ),
    # SmolLM2-135M sized for 2 CPU cores (~1.5 h): ~50 training rows, 12 tasks x k=2 per model.
    "cpu": dict(
        base_model="smollm2",
        max_environments=12,
        blueprints=8,
        max_calls=3,
        max_steps=-1,
        k=2,
        max_tasks=8,
        tau_tasks=4,
        rl_steps=0,  # GRPO on 2 CPU cores is hours for a handful of steps: the GPU budgets run it
        rl_tasks=0,
        max_turns=10,  # goal tasks take ~3.5 calls, τ-bench up to 7, plus the reply
        max_length=2048,
        max_tokens=160,
        epochs=1.0,
        learning_rate=1e-4,
    ),
    # SmolLM2-135M, a few epochs over the verified trajectories (a GPU makes it minutes). A small
    # packed batch and lr 1e-4: ~150 rows are only ~6 packed steps of 16 per epoch, too few to move
    # the weights at 2e-5 (the cpu budget's 40 steps at 1e-4 took the loss from 1.2 to ~0.02).
    "small": dict(
        base_model="smollm2",
        max_environments=12,
        blueprints=24,
        max_calls=4,
        max_steps=-1,
        k=4,
        max_tasks=24,
        tau_tasks=24,
        rl_steps=30,
        rl_tasks=32,
        max_turns=10,
        max_length=2048,
        max_tokens=256,
        epochs=3.0,
        learning_rate=1e-4,
        gpu_batch_size=4,
    ),
    # More environments and trajectories, more trials.
    "full": dict(
        base_model="smollm2",
        max_environments=40,
        blueprints=64,
        max_calls=5,
        max_steps=-1,
        k=4,
        max_tasks=48,
        tau_tasks=64,
        rl_steps=60,
        rl_tasks=64,
        max_turns=12,
        max_length=2048,
        max_tokens=384,
        epochs=3.0,
        learning_rate=1e-4,
        gpu_batch_size=8,
    ),
}
HELDOUT_FRACTION = 0.25
DEFAULT_VERTICAL = ["*retail*", "*shop*", "*order*", "*commerce*", "*store*"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget", choices=sorted(BUDGETS), default="tiny")
    parser.add_argument(
        "--device", default="cpu", help="cpu or cuda (serving; training uses the GPU when present)"
    )
    parser.add_argument(
        "--home", type=Path, default=None, help="state folder (default: .envscale/learning-<budget>)"
    )
    parser.add_argument(
        "--base-model", default=None, help="override the budget's base model (smollm2, a dir, .gguf)"
    )
    parser.add_argument("--vertical", nargs="*", default=DEFAULT_VERTICAL, help="stage-2 selectors (globs)")
    parser.add_argument("--k", type=int, default=None, help="trials per task")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--heldout-fraction",
        type=float,
        default=HELDOUT_FRACTION,
        help="share of environments held out of training (split by environment hash)",
    )
    parser.add_argument(
        "--split-seed", type=int, default=0, help="seed of the environment split (which envs are held out)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="CPU threads for training and the served model (cpu only)"
    )
    parser.add_argument(
        "--phase",
        choices=["all", "data", "device"],
        default="all",
        help="all: everything here; data: pipeline + export, write --bundle; device: train + evaluate from it",
    )
    parser.add_argument("--bundle", type=Path, default=None, help="bundle folder (phases data and device)")
    parser.add_argument(
        "--rl-steps",
        type=int,
        default=None,
        help="GRPO steps after stage 1+2 in the device phase (default: the budget's; 0: no RL stage)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    budget = dict(BUDGETS[args.budget])
    if args.base_model:
        budget["base_model"] = args.base_model
    k = args.k or budget["k"]
    if args.rl_steps is not None:
        budget["rl_steps"] = args.rl_steps
    home_dir = args.home or REPO / ".envscale" / f"learning-{args.budget}"
    t0 = time.perf_counter()

    _configure(budget, args, home_dir)
    from envscale.home import activate

    home = activate(home_dir)
    if budget["base_model"] == "tiny":
        from envscale.models.tiny import build_tiny_model

        tiny = home.cache / "tiny-base"
        if not (tiny / "config.json").is_file():
            build_tiny_model(tiny)
        budget["base_model"] = str(tiny)
        os.environ["ENVSCALE_TRAIN__BASE_MODEL"] = str(tiny)

    if args.phase == "device":
        return _device_phase(args, budget, k, home, t0)
    if args.phase == "data":
        return _data_phase(args, budget, k, home)
    train_summary = _pipeline(budget, args.vertical)
    models = _models(home, budget["base_model"], train_summary)
    sets = _task_sets(home, budget, args)
    reports = _evaluate(models, sets, budget, k, args, home.runs / "learning-experiment")
    _write(args, _markdown(args, budget, k, train_summary, reports, sets, time.perf_counter() - t0))
    return 0


def _write(args: argparse.Namespace, text: str) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.heldout_fraction == HELDOUT_FRACTION else f"_heldout{args.heldout_fraction:g}"
    suffix += f"_split{args.split_seed}" if args.split_seed else ""
    path = args.out / f"learning_{dt.date.today():%Y-%m-%d}_{args.budget}{suffix}.md"
    path.write_text(text)
    print(text)
    print(f"\nwritten: {path}")


def _data_phase(args: argparse.Namespace, budget: dict[str, Any], k: int, home: Any) -> int:
    """Pipeline up to the exported splits, then the bundle the device phase trains and evaluates from."""
    from learning_bundle import RL_SET, write_bundle

    from envscale.config import load_settings
    from envscale.models.dataset_export import export_datasets
    from envscale.warehouse import open_warehouse

    if args.bundle is None:
        raise SystemExit("--phase data needs --bundle DIR")
    _data_pipeline()
    settings = load_settings().train.model_copy(update={"vertical": list(args.vertical)})
    wh = open_warehouse(home.warehouse)
    export = export_datasets(wh, home.runs / "learning-export", settings, run_id="learning-bundle")
    sets = _task_sets(home, budget, args)
    rl_set = _rl_task_set(wh, settings, budget)
    if rl_set is not None:
        sets[RL_SET] = rl_set  # bundled with the others, kept apart by split_rl_set
    meta = {
        "budget_name": args.budget,
        "budget": budget,
        "seed": args.seed,
        "k": k,
        "vertical": args.vertical,
    }
    path = write_bundle(args.bundle, export, sets, meta=meta)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    print(
        f"bundle: {path} ({size / 2**20:.1f} MiB); rows {json.loads((path / 'bundle.json').read_text())['rows']}"
    )
    return 0


def _device_phase(args: argparse.Namespace, budget: dict[str, Any], k: int, home: Any, t0: float) -> int:
    """Train both stages and evaluate from a bundle: no Prefect, MLflow or warehouse needed."""
    from learning_bundle import read_meta, read_task_sets, split_rl_set, train_two_stages

    from envscale.config import load_settings
    from envscale.models.base_model import ensure_base_model

    if args.bundle is None:
        raise SystemExit("--phase device needs --bundle DIR")
    meta = read_meta(args.bundle)
    if meta.get("budget_name") != args.budget:
        raise SystemExit(f"the bundle was made for --budget {meta.get('budget_name')}, not {args.budget}")
    base_dir = ensure_base_model(budget["base_model"], home)
    settings = load_settings().train
    device = "cuda" if args.device != "cpu" else "cpu"
    stages = train_two_stages(args.bundle, base_dir, home.cache / "learning-train", settings, device)
    labels = {"stage1": "stage 1", "stage2": "stage 1+2"}
    models = [("base", base_dir)] + [(labels[s], Path(r.model_dir)) for s, r in stages.items()]
    sets, rl_set = split_rl_set(read_task_sets(args.bundle, home.runs / "learning-envs"))
    rl = _rl_stage(models[-1][1], rl_set, budget, home.cache / "learning-rl") if len(models) > 1 else None
    if rl is not None:
        models.append((RL_LABEL, Path(rl.model_dir)))
    reports = _evaluate(models, sets, budget, k, args, home.runs / "learning-experiment")
    summary = {
        "rows": meta["rows"],
        "registered": "no (device phase: trained from a bundle, not tracked in MLflow)",
        "training_key": None,
        "stages": {  # the train flow's shape, plus the wall time
            s: {
                "steps": r.global_step,
                "loss": r.train_loss,
                "tokens": r.tokens_seen,
                "runtime_s": r.runtime_s,
            }
            for s, r in stages.items()
        },
        "bundle": {key: meta.get(key) for key in ("created", "code_version")},
        "rl": _rl_summary(rl, rl_set, budget),
    }
    _write(args, _markdown(args, budget, k, summary, reports, sets, time.perf_counter() - t0))
    return 0


RL_LABEL = "stage 1+2 + RL"


def _rl_task_set(wh: Any, train: Any, budget: dict[str, Any]) -> Any:
    """Tasks of training-split environments for the device phase's GRPO stage (None: no RL stage)."""
    from envscale.config import RLSettings
    from envscale.models.rl_stage import NoRLTasks, rl_task_set

    if not budget.get("rl_steps"):
        return None
    try:
        return rl_task_set(wh, train, RLSettings(max_tasks=budget["rl_tasks"]))
    except NoRLTasks as exc:
        print(f"no RL stage in the bundle: {exc}")
        return None


def _rl_stage(start_dir: Path, tasks: Any, budget: dict[str, Any], out: Path) -> Any:
    """GRPO from the last SFT model on the bundled training-split tasks (TRL environment_factory)."""
    from envscale.config import load_settings
    from envscale.models.rl_stage import run_grpo

    if tasks is None or not budget.get("rl_steps"):
        return None
    settings = load_settings().rl.model_copy(
        update={"max_steps": budget["rl_steps"], "max_tasks": budget["rl_tasks"]}
    )
    result = run_grpo(start_dir, tasks, settings, out, callbacks=[])
    print(f"rl: {_rl_line(_rl_summary(result, tasks, budget))}", flush=True)
    return result


def _rl_summary(result: Any, tasks: Any, budget: dict[str, Any]) -> dict[str, Any] | None:
    if result is None:
        why = (
            "no RL stage (--rl-steps 0)" if not budget.get("rl_steps") else "no training-split tasks bundled"
        )
        return {"skipped": why}
    return {
        "steps": result.global_step,
        "tasks": len(tasks.tasks),
        "reward_first": _mean(result.rewards[:3]),
        "reward_last": _mean(result.rewards[-3:]),
        "loss": result.train_loss,
    }


def _rl_line(rl: dict[str, Any]) -> str:
    return (
        f"{rl['steps']} GRPO steps on {rl['tasks']} training-split tasks, mean reward "
        f"{rl['reward_first']:.3f} (first 3 steps) → {rl['reward_last']:.3f} (last 3)"
    )


def _mean(values: Any) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def _configure(budget: dict[str, Any], args: argparse.Namespace, home_dir: Path) -> None:
    """Everything through ENVSCALE_* variables, so every flow sees the same settings."""
    env = {
        "ENVSCALE_HOME": str(home_dir),
        "ENVSCALE_SHARED_DATA": str(args.shared_data),
        "ENVSCALE_BUILD__DOMAINS": "categories",
        "ENVSCALE_BUILD__MAX_ENVIRONMENTS": str(budget["max_environments"]),
        "ENVSCALE_SYNTHESIZE__MODE": "reverse",
        "ENVSCALE_SYNTHESIZE__BLUEPRINTS_PER_ENVIRONMENT": str(budget["blueprints"]),
        "ENVSCALE_SYNTHESIZE__MAX_CALLS": str(budget["max_calls"]),
        "ENVSCALE_SYNTHESIZE__SEED": str(args.seed),
        "ENVSCALE_TRAIN__BASE_MODEL": budget["base_model"],
        "ENVSCALE_TRAIN__MAX_STEPS": str(budget["max_steps"]),
        "ENVSCALE_TRAIN__EPOCHS": str(budget["epochs"]),
        # Tools are rendered into the prompt: longer rows are dropped by the trainer, not truncated.
        "ENVSCALE_TRAIN__MAX_LENGTH": str(budget["max_length"]),
        "ENVSCALE_TRAIN__SEED": str(args.seed),
        "ENVSCALE_TRAIN__HELDOUT_FRACTION": str(args.heldout_fraction),
        "ENVSCALE_TRAIN__SPLIT_SEED": str(args.split_seed),
        "ENVSCALE_LLM__AGENT__MAX_TOKENS": str(budget["max_tokens"]),
        "ENVSCALE_LLM__AGENT__TEMPERATURE": "0.7",
        "ENVSCALE_LLM__USER_SIMULATOR__MODE": "scripted",
        "ENVSCALE_LLM__TASK_WRITER__MODE": "template",
    }
    for key in ("learning_rate", "gpu_batch_size"):
        if key in budget:
            env[f"ENVSCALE_TRAIN__{key.upper()}"] = str(budget[key])
    env["ENVSCALE_TRAIN__CPU_THREADS"] = "4" if args.device != "cpu" else str(args.threads)
    os.environ.update(env)


def _data_pipeline() -> None:
    """ingest → build → synthesize → validate, as the Prefect flows (ephemeral API)."""
    from envscale.flows.build import build_environments
    from envscale.flows.ingest import ingest_tools
    from envscale.flows.synthesize import synthesize
    from envscale.flows.validate import validate

    ingest_tools()
    build_environments()
    synthesize()
    validate()


def _pipeline(budget: dict[str, Any], vertical: list[str]) -> dict[str, Any]:
    """The data pipeline, then the train flow (two stages, registered in MLflow)."""
    from envscale.flows.train import train

    _data_pipeline()
    return train(vertical=vertical)


def _models(home: Any, base_spec: str, summary: dict[str, Any]) -> list[tuple[str, Path]]:
    """(label, local model dir) of base, stage 1 and stage 1+2 (from the training's MLflow child runs)."""
    from envscale.models.base_model import ensure_base_model
    from envscale.models.registry import TrainingTracker

    tracker = TrainingTracker(home, "envscale-train")
    parent = tracker.find_run(summary["training_key"], "parent")
    out = [("base", ensure_base_model(base_spec, home))]
    for stage, label in (("stage1", "stage 1"), ("stage2", "stage 1+2")):
        run = tracker.find_run(summary["training_key"], stage, parent.info.run_id)
        if run is not None and run.data.tags.get("envscale.model_dir"):
            out.append((label, Path(run.data.tags["envscale.model_dir"])))
    return out


def _task_sets(home: Any, budget: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Held-out generated tasks and τ-bench retail and airline tasks, drawn by the seed."""
    from envscale.environments.evaluation.tasks import heldout_env_ids, heldout_tasks, import_tau_bench_tasks
    from envscale.warehouse import open_warehouse

    wh = open_warehouse(home.warehouse)
    held = heldout_tasks(wh, heldout_env_ids(wh), max_tasks=budget["max_tasks"], seed=args.seed)
    sets = {"held-out generated": held}
    for domain in ("retail", "airline"):  # evaluated only: never trained on
        sets[f"τ-bench {domain}"] = import_tau_bench_tasks(
            args.shared_data,
            home.environments,
            [domain],
            split="test",
            limit=budget["tau_tasks"],
            seed=args.seed,
        )
    return sets


def _evaluate(
    models: list[tuple[str, Path]],
    sets: dict[str, Any],
    budget: dict[str, Any],
    k: int,
    args: argparse.Namespace,
    log_dir: Path,
) -> dict[tuple[str, str], Any]:
    """Each model served in turn and played on every task set, same seeds."""
    from envscale.config import EndpointSettings, load_settings
    from envscale.environments.evaluation.records import EvalReport
    from envscale.environments.evaluation.run import evaluate_task_set
    from envscale.models.serving import serve_model

    settings = load_settings()
    reports: dict[tuple[str, str], Any] = {}
    # Each finished report is kept on disk: a crash later (another model, the write-up) loses no
    # evaluation, and a rerun plays only what is missing.
    done_dir = log_dir / "reports"
    done_dir.mkdir(parents=True, exist_ok=True)
    for label, model_dir in models:
        pending = {}
        for name, task_set in sets.items():
            if not task_set.tasks:
                continue
            path = done_dir / f"{_report_key(model_dir, task_set, k, args, budget)}.json"
            if path.is_file():
                reports[(label, name)] = EvalReport.model_validate_json(path.read_text())
                _print_report(label, name, reports[(label, name)], k, "(kept from an earlier run)")
            else:
                pending[name] = (task_set, path)
        if not pending:
            continue
        with serve_model(model_dir, log_dir=log_dir, device=args.device, threads=args.threads) as endpoint:
            agent = settings.llm.agent.model_copy(
                update={"mode": "llm", "base_url": endpoint.base_url, "model": endpoint.model}
            )
            for name, (task_set, path) in pending.items():
                report = evaluate_task_set(
                    task_set,
                    agent=agent,
                    user=EndpointSettings(mode="scripted"),
                    k=k,
                    seed=args.seed,
                    label=label,
                    max_turns=budget["max_turns"],
                    in_flight=8 if args.device != "cpu" else 2,
                )
                path.write_text(report.model_dump_json())
                reports[(label, name)] = report
                _print_report(label, name, report, k)
    return reports


def _report_key(model_dir: Path, task_set: Any, k: int, args: argparse.Namespace, budget: dict) -> str:
    from envscale.environments.evaluation.metrics import task_set_hash
    from envscale.hashing import content_hash

    weights = Path(model_dir) / "model.safetensors"
    return content_hash(
        {
            "model": [
                str(Path(model_dir).resolve()),
                weights.stat().st_mtime_ns if weights.exists() else None,
            ],
            "tasks": task_set_hash(task_set.task_ids, k, args.seed),
            "play": [budget["max_turns"], budget["max_tokens"], args.device],
        }
    )


def _print_report(label: str, name: str, report: Any, k: int, note: str = "") -> None:
    m = report.overall
    print(
        f"{label:<10} {name:<20} pass^1 {m.pass_1:.3f}  pass^{k} {m.pass_k:.3f} {note}".rstrip(), flush=True
    )


def composition(task_set: Any) -> str:
    """What the tasks ask: how many environments, gold calls per task, read-only share, one instruction."""
    tasks = task_set.tasks
    if not tasks:
        return "no tasks"
    calls = [t.blueprint.n_calls for t in tasks]
    read_only = sum(t.blueprint.read_only for t in tasks) / len(tasks)
    example = tasks[0].task.instruction.replace("\n", " ")
    example = example if len(example) <= 160 else example[:157] + "..."
    return (
        f"{len(task_set.envs)} environment(s), {sum(calls) / len(calls):.1f} gold calls per task "
        f'(max {max(calls)}), {read_only:.0%} read-only; e.g. "{example}"'
    )


def _device_name(device: str) -> str:
    if device == "cpu":
        return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"
    try:
        import torch

        return torch.cuda.get_device_name(0)
    except Exception:  # noqa: BLE001 - reporting only
        return device


def _markdown(args, budget, k, train_summary, reports, sets, wall_s) -> str:
    from envscale.config import load_settings

    train = load_settings().train
    rows = train_summary.get("rows", {})
    trajectories = {
        "base": 0,
        "stage 1": rows.get("stage1", 0),
        "stage 1+2": rows.get("stage1", 0) + rows.get("stage2", 0),
    }
    trajectories[RL_LABEL] = trajectories["stage 1+2"]
    lines = [
        f"# Learning experiment ({args.budget}) — {dt.date.today():%Y-%m-%d}",
        "",
        f"- device: {_device_name(args.device)}; wall time {wall_s / 60:.1f} min",
        f"- base model: `{budget['base_model']}`; seed {args.seed}; k = {k}; max turns {budget['max_turns']}; "
        f"agent max tokens {budget['max_tokens']}",
        f"- training: {budget['epochs']} epoch(s) per stage, learning rate {train.learning_rate}, "
        f"batch {train.batch_size} (CPU) / {train.gpu_batch_size} (GPU, packed), max length {train.max_length}",
        f"- training rows: stage 1 (general) {rows.get('stage1', 0)}, stage 2 (vertical) {rows.get('stage2', 0)}, "
        f"held out {rows.get('heldout', 0)} (held-out fraction {args.heldout_fraction:g}, split seed "
        f"{args.split_seed}); "
        f"vertical selectors {args.vertical}",
        f"- registered: {train_summary.get('registered')} (training key `{train_summary.get('training_key')}`)",
    ]
    for name, task_set in sets.items():
        lines.append(
            f"- {name}: {len(task_set.tasks)} tasks ({len(task_set.skipped)} skipped: no blueprints, "
            f"or gold actions that do not replay); {composition(task_set)}"
        )
    for stage, result in train_summary.get("stages", {}).items():
        loss = f"{result['loss']:.4f}" if result.get("loss") is not None else "-"
        wall = f", {result['runtime_s']:.0f} s" if result.get("runtime_s") is not None else ""
        lines.append(
            f"- {stage}: {result['steps']} steps, {result['tokens']} tokens, train loss {loss}{wall}"
        )
    rl = train_summary.get("rl")
    if rl and "skipped" in rl:
        lines.append(f"- RL stage: {rl['skipped']}")
    elif rl:
        lines.append(f"- RL stage (GRPO from stage 1+2): {_rl_line(rl)}")
    lines += [
        "",
        f"| model | training trajectories | task set | pass^1 | pass^{k} | DB match | avg calls | error calls |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for (label, name), report in reports.items():
        m = report.overall
        lines.append(
            f"| {label} | {trajectories.get(label, 0)} | {name} | {m.pass_1:.3f} | {m.pass_k:.3f} | "
            f"{m.db_match_rate:.3f} | {m.avg_tool_calls:.2f} | {m.error_call_rate:.3f} |"
        )
    lines += ["", "## Deltas against the base model (pass^1)", ""]
    for (label, name), report in reports.items():
        base = reports.get(("base", name))
        if label != "base" and base is not None:
            lines.append(f"- {label} on {name}: {report.overall.pass_1 - base.overall.pass_1:+.3f}")
    lines += [
        "",
        "Models that were not produced (a stage with no training rows) are absent from the table.",
        "Raw reports: `"
        + json.dumps({f"{a}|{b}": r.task_set_hash for (a, b), r in reports.items()})
        + "` (task-set hashes).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
