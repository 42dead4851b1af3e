"""The sample shop environment with sampled blueprints and template tasks: a real task set to evaluate."""

from __future__ import annotations

import pytest

from envscale.config import SynthesizeSettings
from envscale.environments.evaluation.records import EvalTask
from envscale.environments.evaluation.tasks import TaskSet
from envscale.environments.synthesis.intents import template_task
from envscale.environments.synthesis.run import sample_environment
from envscale.environments.synthesis.sample_env import build_sample_env


@pytest.fixture
def shop_tasks(tmp_path) -> TaskSet:
    from envscale.environments.runtime import forget_environments

    directory = tmp_path / "environments"
    manifest = build_sample_env(directory)
    kept, _ = sample_environment(
        manifest, directory, SynthesizeSettings(blueprints_per_environment=4, max_calls=3)
    )
    tasks = [EvalTask(task=template_task(bp), blueprint=bp, domain="shop", source="heldout") for bp in kept]
    yield TaskSet(tasks=tasks, envs={manifest.env_id: (manifest, manifest.db_path(directory))})
    forget_environments()
