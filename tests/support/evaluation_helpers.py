"""Shared set-up of the evaluate/promote flow tests (loaded by path: importlib import mode)."""

from __future__ import annotations

from pathlib import Path

from envscale.config import SynthesizeSettings
from envscale.environments.evaluation.records import EvalTask
from envscale.environments.synthesis import store
from envscale.environments.synthesis.intents import template_task
from envscale.environments.synthesis.run import sample_environment
from envscale.environments.synthesis.sample_env import register_sample_env
from envscale.warehouse import open_warehouse


def seed_heldout_shop(home, n: int = 4, name: str = "sample_shop") -> list[EvalTask]:
    """A registered sample environment with n stored blueprints and tasks (nothing trained: all held out)."""
    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments, name=name)
    kept, _ = sample_environment(
        manifest, home.environments, SynthesizeSettings(blueprints_per_environment=n)
    )
    tasks = [template_task(bp) for bp in kept]
    store.save_blueprints(wh, kept, None)
    store.save_tasks(wh, tasks, None)
    return [
        EvalTask(task=t, blueprint=bp, domain=manifest.name, source="heldout")
        for t, bp in zip(tasks, kept, strict=True)
    ]


def register_tiny_versions(home, model_dir: Path, n: int, name: str = "envscale-agent") -> list[str]:
    """n registered versions of the tiny model (real MLflow sqlite registry, real pyfunc models)."""
    from envscale.models.registry import TrainingTracker

    tracker = TrainingTracker(home, "envscale-train")
    versions = []
    for i in range(n):
        run = tracker.parent_run(f"test-key-{i}", f"tiny-{i}", {})
        versions.append(tracker.log_and_register(run, model_dir, name, {"envscale.test": str(i)}))
        tracker.finish(run)
    return versions
