"""Two-stage fine-tuning as tracked steps: key the training, run each stage in an MLflow child run, register.

The Prefect tasks in ``envscale.tasks.train`` call these one by one. A training
is identified by its ``training_key`` (base model + exported datasets + settings
that change the weights): its stage folders and MLflow runs are found again by
that key, so an interrupted training resumes and a finished one is not redone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from envscale.config import TrainSettings
from envscale.hashing import content_hash
from envscale.home import Home
from envscale.models.dataset_export import ExportedSplit, ExportResult
from envscale.models.registry import TrainingTracker, code_version
from envscale.models.training import DONE_MARKER, StageResult, prune_finished_checkpoints, train_stage

# Settings that do not change the trained weights stay out of the key.
_KEY_EXCLUDED = {
    "registered_model",
    "experiment",
    "log_checkpoints",
    "keep_checkpoints",
    "cpu_threads",
    "base_model",
    "vertical",
}


class Lineage(BaseModel):
    """What the registered version carries as tags."""

    model_config = ConfigDict(frozen=True)

    base_model: str = Field(description="The base-model spec as configured.")
    base_model_dir: str = Field(description="The local directory it resolved to.")
    dataset_hash: str = Field(description="Hash of the stage-1 and stage-2 dataset ids.")
    env_ids_hash: str = Field(description="Hash of the environment ids trained on.")
    heldout_env_ids_hash: str = Field(description="Hash of the held-out environment ids.")
    split_digest: str = Field(description="Digest of the recorded environment split.")
    stage1_dataset: str = Field(description="Stage-1 dataset id.")
    stage2_dataset: str = Field(description="Stage-2 dataset id.")
    code_version: str = Field(description="Git sha of envscale (+dirty).")
    training_key: str = Field(description="Identity of this training (resume key).")
    warehouse_run_id: str | None = Field(None, description="The warehouse `runs` row of the train flow.")

    def tags(self) -> dict[str, str]:
        return {f"envscale.{k}": str(v) for k, v in self.model_dump().items() if v is not None}

    def run_tags(self) -> dict[str, str]:
        """The few tags a person reads on the parent run; the hashes go to params (``lineage.*``)."""
        keep = ("base_model", "training_key", "code_version", "warehouse_run_id")
        return {k: v for k, v in self.tags().items() if k.removeprefix("envscale.") in keep}

    def params(self) -> dict[str, str]:
        shown = set(self.run_tags())
        return {k.replace("envscale.", "lineage.", 1): v for k, v in self.tags().items() if k not in shown}


def training_key(base_dir: Path, export: ExportResult, settings: TrainSettings) -> str:
    config = base_dir / "config.json"
    base_identity = [str(base_dir), config.stat().st_mtime_ns if config.exists() else None]
    weights = settings.model_dump(mode="json", exclude=_KEY_EXCLUDED)
    return content_hash({"base": base_identity, "data": export.dataset_hash, "settings": weights})


def training_root(home: Home, key: str) -> Path:
    """Stage outputs and checkpoints live by key, outside the per-run folder, so a new run resumes them."""
    path = home.cache / "train" / key
    path.mkdir(parents=True, exist_ok=True)
    return path


def lineage(spec: str, base_dir: Path, export: ExportResult, key: str, run_id: str | None) -> Lineage:
    return Lineage(
        base_model=spec,
        base_model_dir=str(base_dir),
        dataset_hash=export.dataset_hash,
        env_ids_hash=export.env_ids_hash,
        heldout_env_ids_hash=content_hash(list(export.split.heldout)),
        split_digest=export.split.digest,
        stage1_dataset=export.splits["stage1"].dataset_id,
        stage2_dataset=export.splits["stage2"].dataset_id,
        code_version=code_version(),
        training_key=key,
        warehouse_run_id=run_id,
    )


def start_parent(
    tracker: TrainingTracker, info: Lineage, settings: TrainSettings, export: ExportResult
) -> str:
    parent = tracker.parent_run(info.training_key, f"train-{info.training_key[:8]}", info.run_tags())
    tracker.set_tags(parent, {"mlflow.note.content": _note(info, settings, export)})
    tracker.log_params(parent, info.params())
    tracker.log_params(parent, {f"train.{k}": v for k, v in settings.model_dump(mode="json").items()})
    tracker.log_params(
        parent,
        {
            "base_model": info.base_model,
            "n_general_envs": len(export.split.general),
            "n_vertical_envs": len(export.split.vertical_envs),
            "n_heldout_envs": len(export.split.heldout),
            "n_skipped_trajectories": len(export.skipped),
        },
    )
    # The parent shows what it trained on (the children log the same splits, one each).
    for split in ("stage1", "stage2", "heldout"):
        exported = export.splits.get(split)
        if exported is not None and exported.n_rows:
            context = "evaluation" if split == "heldout" else "training"
            tracker.log_dataset(
                parent, exported.path, name=f"envscale-{split}", digest=exported.dataset_id, context=context
            )
    return parent


def finish_parent(tracker: TrainingTracker, parent_id: str, results: dict[str, StageResult]) -> None:
    """Summary metrics on the parent run: per-stage final loss, steps and tokens, and their totals."""
    metrics: dict[str, float] = {}
    for stage, result in results.items():
        if result.train_loss is not None:
            metrics[f"{stage}_final_loss"] = result.train_loss
        metrics[f"{stage}_steps"] = result.global_step
        metrics[f"{stage}_tokens_seen"] = result.tokens_seen
        metrics[f"{stage}_runtime_s"] = result.runtime_s
    if results:
        last = list(results.values())[-1]
        if last.train_loss is not None:
            metrics["final_train_loss"] = last.train_loss
        metrics["total_steps"] = sum(r.global_step for r in results.values())
        metrics["total_tokens_seen"] = sum(r.tokens_seen for r in results.values())
        metrics["train_runtime_s"] = sum(r.runtime_s for r in results.values())
    tracker.log_metrics(parent_id, metrics)


def _note(info: Lineage, settings: TrainSettings, export: ExportResult) -> str:
    """The run's description (MLflow shows ``mlflow.note.content`` on the run page)."""
    rows = {name: split.n_rows for name, split in export.splits.items()}
    return (
        f"Two-stage SFT of `{info.base_model}`: stage 1 on {len(export.split.general)} general environments "
        f"({rows.get('stage1', 0)} trajectories), stage 2 on {len(export.split.vertical_envs)} vertical ones "
        f"({rows.get('stage2', 0)}; selectors {list(settings.vertical) or 'none'}); "
        f"{len(export.split.heldout)} environments held out for evaluation. "
        f"Registered as `{settings.registered_model}`; training key `{info.training_key[:12]}`."
    )


def run_stage(
    tracker: TrainingTracker,
    parent_id: str,
    info: Lineage,
    stage: str,
    model_dir: Path,
    split: ExportedSplit,
    root: Path,
    settings: TrainSettings,
    *,
    learning_rate: float,
    device: str | None = None,
    extra_callbacks: tuple[Any, ...] = (),
) -> StageResult:
    """Train one stage inside its child run: params, dataset input, metrics, last checkpoint."""
    child, finished = tracker.child_run(parent_id, info.training_key, stage)
    done = root / stage / "model" / DONE_MARKER
    if finished and done.is_file():  # logged by an earlier, interrupted attempt of this training
        return StageResult.model_validate_json(done.read_text())
    tracker.log_params(
        child,
        {
            "stage": stage,
            "start_model": str(model_dir),
            "dataset_id": split.dataset_id,
            "n_examples": split.n_rows,
            "learning_rate": learning_rate,
            "lora": settings.lora,
        },
    )
    tracker.log_dataset(
        child, split.path, name=f"envscale-{stage}", digest=split.dataset_id, context="training"
    )
    try:
        result = train_stage(
            stage,
            model_dir,
            Path(split.path),
            root / stage,
            settings,
            learning_rate=learning_rate,
            callbacks=(tracker.callback(child), *extra_callbacks),
            device=device,
        )
    except BaseException:
        tracker.finish(child, "FAILED")  # resumed into the same run next time (found by key)
        raise
    tracker.log_params(child, {f"plan.{k}": v for k, v in result.plan.model_dump().items()})
    tracker.log_metrics(
        child,
        {
            "final_train_loss": result.train_loss or 0.0,
            "total_tokens_seen": result.tokens_seen,
            "train_runtime_s": result.runtime_s,
        },
        step=result.global_step,
    )
    tracker.set_tags(
        child, {"envscale.resumed_from": result.resumed_from or "", "envscale.model_dir": result.model_dir}
    )
    # A rerun of a finished stage whose child run was not found (e.g. another experiment)
    # gets the recorded result back, its checkpoint already pruned: nothing left to log.
    if settings.log_checkpoints and result.checkpoint_dir and Path(result.checkpoint_dir).is_dir():
        tracker.log_checkpoint(child, result.checkpoint_dir)
    tracker.finish(child)
    if not settings.keep_checkpoints:  # after logging: a crash before this point re-logs from them
        prune_finished_checkpoints(root / stage)
    return result
