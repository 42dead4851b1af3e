"""The train stage's export task: accepted trajectories to stage1/stage2/heldout Parquet, split by environment."""

from __future__ import annotations

import pyarrow.parquet as pq

from envscale.config import TrainSettings
from envscale.tasks.train import export_task
from envscale.warehouse import open_warehouse
from tests.support.trajectories import seed_trajectories


def test_export_task_writes_the_splits_of_accepted_trajectories_only(tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    accepted = seed_trajectories(wh)
    export = export_task.fn(wh, tmp_path / "ds", TrainSettings(), "run-1")
    assert set(export.splits) >= {"stage1", "stage2"}
    rows = sum(pq.read_table(s.path).num_rows for s in export.splits.values())
    skipped = {s.trajectory_id for s in export.skipped}
    assert skipped == {"t_bad"}  # accepted, but its arguments are not JSON
    assert 0 < rows <= sum(len(ids) for ids in accepted.values())  # rejected trajectories never exported
    assert export_task.fn(wh, tmp_path / "ds", TrainSettings(), "run-2").dataset_hash == export.dataset_hash
