"""Shared fixtures: an isolated envscale home per test, Prefect's test harness, shared data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from envscale.home import Home, activate

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ENVSCALE_SHARED_DATA", REPO.parent / "shared" / "data"))

# Activate a session home before any test imports Prefect or MLflow, so
# nothing is written under ~ or the working directory.
_SESSION_HOME = Path(os.environ.get("ENVSCALE_TEST_HOME", REPO / ".envscale" / "test-session"))
activate(_SESSION_HOME)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    """A fresh, empty envscale home for one test (warehouse, MLflow, runs)."""
    previous = os.environ.get("ENVSCALE_HOME")
    h = activate(tmp_path / "home")
    yield h
    activate(previous or _SESSION_HOME)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Prefect's test harness: a temporary database and API for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=300):
        yield


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (BFCL, StableToolBench, τ-bench); skips with a reason when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"external test data not found at {SHARED_DATA} (see DEVELOPERS notes: ../shared/data)")
    return SHARED_DATA


def _shop_task_set(tmp_path, synth):
    from envscale.environments.evaluation.records import EvalTask
    from envscale.environments.evaluation.tasks import TaskSet
    from envscale.environments.synthesis.intents import template_task
    from envscale.environments.synthesis.run import sample_environment
    from envscale.environments.synthesis.sample_env import build_sample_env

    directory = tmp_path / "environments"
    manifest = build_sample_env(directory)
    kept, _ = sample_environment(manifest, directory, synth)
    tasks = [EvalTask(task=template_task(bp), blueprint=bp, domain="shop", source="heldout") for bp in kept]
    return TaskSet(tasks=tasks, envs={manifest.env_id: (manifest, manifest.db_path(directory))})


@pytest.fixture
def one_call_tasks(tmp_path):
    """The sample shop with single-call random walks: what a tiny model can be taught in a few steps."""
    from envscale.config import SynthesizeSettings
    from envscale.environments.runtime import forget_environments

    yield _shop_task_set(
        tmp_path, SynthesizeSettings(blueprints_per_environment=4, planner="walk", min_calls=1, max_calls=1)
    )
    forget_environments()


@pytest.fixture
def shop_tasks(tmp_path):
    """The sample shop environment with sampled blueprints and template tasks: a real task set to evaluate."""
    from envscale.config import SynthesizeSettings
    from envscale.environments.runtime import forget_environments

    yield _shop_task_set(tmp_path, SynthesizeSettings(blueprints_per_environment=6, max_calls=3))
    forget_environments()
