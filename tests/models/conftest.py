"""Fixtures for the models layer: a tiny model that trains in seconds on CPU."""

from __future__ import annotations

from pathlib import Path

import pytest

from envscale.models.tiny import build_tiny_model
from tests.support.trajectories import seed_trajectories


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture
def seeded_warehouse(home):
    from envscale.warehouse import open_warehouse

    wh = open_warehouse(home.warehouse)
    seed_trajectories(wh)
    return wh
