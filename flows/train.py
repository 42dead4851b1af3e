"""The train stage: export verified trajectories, fine-tune in two stages, register in MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from envscale.config import apply_overrides
from envscale.models.dataset_export import ExportError
from envscale.models.registry import TrainingTracker
from envscale.models.two_stage import finish_parent, lineage, start_parent, training_key, training_root
from envscale.tasks.links import mlflow_run_link, model_version_link, stage_tags, tag_flow_run
from envscale.tasks.run_context import tracked_run
from envscale.tasks.train import base_model_task, export_task, register_task, train_stage_task


# log_prints stays off: datasets' fingerprinting captures dill's stdout, which
# Prefect's print patch would otherwise spill into the logs as bytecode.
@flow(name="train", log_prints=False)
def train(
    base_model: str | None = None,
    vertical: list[str] | None = None,
    max_steps: int | None = None,
    lora: bool | None = None,
) -> dict[str, Any]:
    """Stage 1 (general) then stage 2 (vertical, from stage 1's weights); register `envscale-agent`.

    base_model: 'smollm2', a local HF dir, a .gguf file or models:/… (default: settings.train.base_model).
    vertical: stage-2 selectors — domain ids, name/tag globs, imported env names (default: settings).
    max_steps: optimizer steps per stage, -1 for full epochs (default: settings).
    lora: train LoRA adapters instead of all weights (default: settings).
    """
    logger = get_run_logger()
    params = {"base_model": base_model, "vertical": vertical, "max_steps": max_steps, "lora": lora}
    with tracked_run("train", params) as ctx:
        overrides = {k: v for k, v in params.items() if v is not None}
        settings = apply_overrides(ctx.settings.train, overrides, "train")
        export = export_task(ctx.warehouse, ctx.run_dir / "datasets", settings, ctx.run_id)
        rows = {name: split.n_rows for name, split in export.splits.items()}
        if rows["stage1"] + rows["stage2"] == 0:
            raise ExportError(
                f"no accepted trajectories in training environments (held out: {rows['heldout']} rows); "
                "run synthesize and validate first"
            )
        tag_flow_run(stage_tags("train", env_ids_hash=export.env_ids_hash))
        base_dir = base_model_task(settings.base_model, ctx.home)
        key = training_key(base_dir, export, settings)
        root = training_root(ctx.home, key)
        info = lineage(settings.base_model, base_dir, export, key, ctx.run_id)
        tracker = TrainingTracker(ctx.home, settings.experiment)

        previous = tracker.find_run(key, "parent")
        if previous is not None and previous.info.status == "FINISHED":
            version = previous.data.tags.get("envscale.registered_version", "")
            # same base, data and settings, registered under this name: nothing new to train or register
            if version.startswith(f"{settings.registered_model}/"):
                logger.info("training %s already done: %s", key, version)
                ctx.summary.update(skipped=True, training_key=key, registered=version, rows=rows)
                return dict(ctx.summary)

        parent = start_parent(tracker, info, settings, export)
        try:
            model_dir = base_dir
            results = {}
            for stage, lr in (("stage1", settings.learning_rate), ("stage2", settings.stage2_learning_rate)):
                if rows[stage] == 0:
                    logger.warning("%s has no training rows; skipped", stage)
                    continue
                result = train_stage_task(
                    tracker,
                    parent,
                    info,
                    stage,
                    model_dir,
                    export,
                    root,
                    settings,
                    lr or settings.learning_rate,
                )
                results[stage] = result
                model_dir = Path(result.model_dir)
            version = register_task(tracker, parent, model_dir, settings, info)
            finish_parent(tracker, parent, results)
        except BaseException:
            tracker.finish(parent, "FAILED")
            raise
        tracker.finish(parent)
        tag_flow_run(stage_tags("train", model_version=f"{settings.registered_model}/{version}"))
        uri = f"models:/{settings.registered_model}/{version}"
        ctx.summary.update(
            registered=f"{settings.registered_model}/{version}",
            model_uri=uri,
            mlflow_run_id=parent,
            mlflow_experiment_id=tracker.experiment_id,
            training_key=key,
            rows=rows,
            skipped_trajectories=len(export.skipped),
            heldout_envs=len(export.split.heldout),
            stages={
                s: {"steps": r.global_step, "loss": r.train_loss, "tokens": r.tokens_seen}
                for s, r in results.items()
            },
        )
        _publish(ctx.summary, export, results)
        return dict(ctx.summary)


def _publish(summary: dict[str, Any], export: Any, results: dict[str, Any]) -> None:
    table = [
        {
            "stage": name,
            "rows": export.splits[name].n_rows,
            "envs": len(export.splits[name].env_ids),
            "steps": results[name].global_step if name in results else 0,
            "loss": round(results[name].train_loss or 0, 4) if name in results else None,
            "tokens_seen": results[name].tokens_seen if name in results else 0,
            "resumed_from": Path(results[name].resumed_from).name
            if name in results and results[name].resumed_from
            else "",
        }
        for name in ("stage1", "stage2", "heldout")
    ]
    create_table_artifact(
        key="train-stages", table=table, description="envscale train: per-stage data and training"
    )
    create_markdown_artifact(
        key="train-model",
        markdown=(
            f"# Registered {model_version_link(*summary['registered'].split('/', 1))}\n\n"
            f"- model URI: `{summary['model_uri']}`\n"
            f"- MLflow parent run: {mlflow_run_link(summary['mlflow_run_id'], summary['mlflow_experiment_id'])}\n"
            f"- training key: `{summary['training_key']}`\n- held-out environments: {summary['heldout_envs']}\n"
            f"- trajectories skipped at export: {summary['skipped_trajectories']}\n"
        ),
        description="envscale train: registered model",
    )
    logger = get_run_logger()
    logger.info("train: registered %s (%s)", summary["registered"], summary["model_uri"])
    for row in table:
        logger.info(
            f"  {row['stage']:<8} rows={row['rows']:<5} envs={row['envs']:<4} steps={row['steps']:<5} "
            f"loss={row['loss']} tokens={row['tokens_seen']}"
        )
