"""Prefect tasks of the train stage: thin wrappers over ``envscale.models``."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from envscale.config import TrainSettings
from envscale.home import Home
from envscale.models.base_model import ensure_base_model
from envscale.models.dataset_export import ExportResult, export_datasets
from envscale.models.registry import TrainingTracker
from envscale.models.training import StageResult
from envscale.models.two_stage import Lineage, run_stage
from envscale.warehouse import Warehouse


# Inputs are live handles (warehouse, MLflow client): nothing to cache on.
@task(name="export-datasets", cache_policy=NO_CACHE)
def export_task(warehouse: Warehouse, out_dir: Path, settings: TrainSettings, run_id: str) -> ExportResult:
    """Accepted trajectories → stage1/stage2/heldout Parquet, split by environment."""
    return export_datasets(warehouse, out_dir, settings, run_id=run_id)


@task(name="resolve-base-model", cache_policy=NO_CACHE)
def base_model_task(spec: str, home: Home) -> Path:
    """The base model as a local HF directory (GGUF converted once, MLflow URIs downloaded)."""
    return ensure_base_model(spec, home)


@task(name="train-stage", task_run_name="train-{stage}", cache_policy=NO_CACHE)
def train_stage_task(
    tracker: TrainingTracker,
    parent_id: str,
    info: Lineage,
    stage: str,
    model_dir: Path,
    export: ExportResult,
    root: Path,
    settings: TrainSettings,
    learning_rate: float,
) -> StageResult:
    """One SFT stage in its MLflow child run (resumes from the last checkpoint)."""
    return run_stage(
        tracker,
        parent_id,
        info,
        stage,
        model_dir,
        export.splits[stage],
        root,
        settings,
        learning_rate=learning_rate,
    )


@task(name="register-model", cache_policy=NO_CACHE)
def register_task(
    tracker: TrainingTracker, parent_id: str, model_dir: Path, settings: TrainSettings, info: Lineage
) -> str:
    """Log the final model on the parent run and register it as a new version with lineage tags."""
    return tracker.log_and_register(parent_id, model_dir, settings.registered_model, info.tags())
