"""Prefect tasks of the RL stage: thin wrappers over ``envscale.models.rl_stage``."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from envscale.config import RLSettings, TrainSettings
from envscale.environments.evaluation.tasks import TaskSet
from envscale.home import Home
from envscale.models.registry import TrainingTracker, load_registered
from envscale.models.rl_stage import RLLineage, RLResult, rl_task_set, run_grpo
from envscale.warehouse import Warehouse


@task(name="rl-tasks", cache_policy=NO_CACHE)
def rl_tasks_task(warehouse: Warehouse, train: TrainSettings, settings: RLSettings) -> TaskSet:
    """Stored tasks of training-split environments only (never one evaluation plays)."""
    return rl_task_set(warehouse, train, settings)


@task(name="resolve-start-model", cache_policy=NO_CACHE)
def start_model_task(home: Home, name: str, version: str) -> Path:
    """The registered start version as a local Hugging Face directory."""
    return load_registered(f"models:/{name}/{version}", home)


@task(name="grpo", cache_policy=NO_CACHE)
def grpo_task(
    tracker: TrainingTracker, run_id: str, start_dir: Path, tasks: TaskSet, settings: RLSettings, out: Path
) -> RLResult:
    """GRPO over the tasks' environments; every logged step (reward, loss) streams into ``run_id``."""
    return run_grpo(start_dir, tasks, settings, out, callbacks=[tracker.callback(run_id)])


@task(name="register-rl-model", cache_policy=NO_CACHE)
def register_rl_task(
    tracker: TrainingTracker, run_id: str, model_dir: str, name: str, info: RLLineage
) -> str:
    """Log the GRPO model on its run and register it as a new version of ``name`` with lineage tags."""
    return tracker.log_and_register(run_id, model_dir, name, info.tags() | {"envscale.trained_by": "grpo"})
