"""The train flow end to end on a tiny model: two stages, MLflow runs, a registered version, no redo on rerun."""

from __future__ import annotations

from pathlib import Path

import pytest


def _seed(wh) -> None:
    from tests.support.trajectories import seed_trajectories

    seed_trajectories(wh)


@pytest.mark.slow
def test_train_flow_two_stages_registers_and_skips_rerun(
    prefect_harness, home, tmp_path, monkeypatch
) -> None:
    from envscale.flows.registry import stage
    from envscale.models.registry import TrainingTracker, load_registered
    from envscale.models.tiny import build_tiny_model
    from envscale.warehouse import open_warehouse

    _seed(open_warehouse(home.warehouse))
    base = build_tiny_model(tmp_path / "base")
    monkeypatch.setenv("ENVSCALE_TRAIN__SAVE_STEPS", "2")
    monkeypatch.setenv("ENVSCALE_TRAIN__BATCH_SIZE", "2")
    monkeypatch.setenv("ENVSCALE_TRAIN__LEARNING_RATE", "0.001")

    train = stage("train").load()
    summary = train(base_model=str(base), vertical=["retail"], max_steps=3)
    assert summary["registered"] == "envscale-agent/1"
    assert summary["rows"]["stage1"] > 0 and summary["rows"]["stage2"] > 0
    assert summary["stages"]["stage1"]["steps"] == 3 and summary["stages"]["stage2"]["steps"] == 3

    tracker = TrainingTracker(home, "envscale-train")
    parent = tracker.client.get_run(summary["mlflow_run_id"])
    children = tracker.client.search_runs(
        [tracker.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'"
    )
    assert sorted(c.data.tags["envscale.stage"] for c in children) == ["stage1", "stage2"]
    stage1 = next(c for c in children if c.data.tags["envscale.stage"] == "stage1")
    stage2 = next(c for c in children if c.data.tags["envscale.stage"] == "stage2")
    assert stage2.data.params["start_model"] == str(Path(stage1.data.tags["envscale.model_dir"]))
    version = tracker.client.get_model_version("envscale-agent", "1")
    assert version.tags["envscale.base_model"] == str(base)
    assert version.tags["envscale.warehouse_run_id"].startswith("train-")

    with open_warehouse(home.warehouse).connect() as con:
        (status,) = con.execute("SELECT status FROM runs WHERE flow = 'train'").fetchone()
        splits = {s for (s,) in con.execute("SELECT split FROM datasets").fetchall()}
    assert status == "completed" and splits == {"stage1", "stage2", "heldout"}

    # the registered model comes back as a local directory with envscale's template
    local = load_registered(summary["model_uri"], home)
    assert "<tool_call>" in (local / "chat_template.jinja").read_text()

    again = train(base_model=str(base), vertical=["retail"], max_steps=3)
    assert again["skipped"] is True and again["registered"] == "envscale-agent/1"
    assert len(tracker.client.search_model_versions("name = 'envscale-agent'")) == 1

    # another registered name: the finished stages are reused, the model is registered under it
    monkeypatch.setenv("ENVSCALE_TRAIN__REGISTERED_MODEL", "other-agent")
    renamed = train(base_model=str(base), vertical=["retail"], max_steps=3)
    assert not renamed.get("skipped") and renamed["registered"] == "other-agent/1"
    assert renamed["training_key"] == again["training_key"]
