"""The RL stage's task set: accepted environments are not enough; only a training export's split is played."""

from __future__ import annotations

import pytest

from envscale.config import RLSettings, TrainSettings
from envscale.models.rl_stage import NoRLTasks
from envscale.tasks.rl import rl_tasks_task
from envscale.warehouse import open_warehouse
from tests.support.trajectories import seed_trajectories


def test_before_any_training_export_every_environment_is_held_out(tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    seed_trajectories(wh)  # accepted environments with accepted trajectories
    with pytest.raises(NoRLTasks, match="run `envscale train` first"):
        rl_tasks_task.fn(wh, TrainSettings(), RLSettings())
