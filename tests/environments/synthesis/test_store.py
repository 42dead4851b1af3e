"""Synthesis records in a real warehouse: idempotent writes, loaders, resume keys and the background trajectory writer."""

from __future__ import annotations

import pytest

from envscale.environments.synthesis.intents import template_task
from envscale.environments.synthesis.records import Issue
from envscale.environments.synthesis.store import (
    TrajectoryWriter,
    endpoint_failure,
    failed_trajectory_ids,
    load_blueprints,
    load_tasks,
    load_trajectories,
    refused_trajectory_ids,
    save_blueprints,
    save_tasks,
    trajectory_ids,
)
from envscale.warehouse import open_warehouse
from tests.support import shop_env


@pytest.fixture
def stored(tmp_path):
    """The validation tests' shop environment, and a warehouse holding two of its blueprints and their tasks."""
    directory = tmp_path / "environments"
    manifest = shop_env.build_shop(directory)
    wh = open_warehouse(tmp_path / "w.duckdb")
    blueprints = [
        shop_env.make_blueprint(manifest, directory, [("get_order", {"order_id": "o1"})]),
        shop_env.make_blueprint(manifest, directory, [("cancel_order", {"order_id": "o3"})]),
    ]
    save_blueprints(wh, blueprints, "run-1")
    save_tasks(wh, [template_task(b) for b in blueprints], "run-1")
    return manifest, wh, blueprints


def test_blueprints_and_tasks_round_trip_and_rewrites_are_ignored(stored):
    manifest, wh, blueprints = stored
    save_blueprints(wh, blueprints, "run-2")  # idempotent: first write wins
    assert wh.counts(read_only=False)["blueprints"] == 2
    assert sorted(load_blueprints(wh), key=lambda b: b.blueprint_id) == sorted(
        blueprints, key=lambda b: b.blueprint_id
    )
    assert load_blueprints(wh, "other-env") == [] and load_blueprints(wh, status="dropped") == []
    tasks = load_tasks(wh, manifest.env_id)
    assert set(tasks) == {b.blueprint_id for b in blueprints}
    assert tasks[blueprints[1].blueprint_id].instruction == template_task(blueprints[1]).instruction


def test_the_writer_stores_each_trajectory_once_unless_replaced(stored):
    manifest, wh, blueprints = stored
    trajectory = shop_env.reverse_trajectory(manifest, blueprints[0])
    failed = shop_env.reverse_trajectory(manifest, blueprints[1]).model_copy(
        update={
            "termination": "repeated_failure",
            "issues": (Issue(turn=0, code="invalid_reply", detail="http 401: invalid api key"),),
        }
    )
    writer = TrajectoryWriter(wh, "run-1")
    writer.put(trajectory)
    writer.put(trajectory)
    writer.put(failed)
    writer.close()
    assert writer.written == 3  # the duplicate is a no-op write
    assert trajectory_ids(wh) == {trajectory.trajectory_id, failed.trajectory_id}
    assert failed_trajectory_ids(wh) == {failed.trajectory_id}
    assert refused_trajectory_ids(wh) == {failed.trajectory_id}  # a 401 shaped it: not done
    assert endpoint_failure(failed) == "http 401: invalid api key" and endpoint_failure(trajectory) is None

    replayed = failed.model_copy(update={"termination": "reverse", "issues": ()})
    again = TrajectoryWriter(wh, "run-2", replace=[failed.trajectory_id])
    again.put(replayed)
    again.close()
    by_id = {t.trajectory_id: t for t in load_trajectories(wh)}
    assert by_id[failed.trajectory_id].termination == "reverse"
    assert by_id[trajectory.trajectory_id] == trajectory
    assert [t.trajectory_id for t in load_trajectories(wh, run_id="run-2")] == [failed.trajectory_id]
