"""The RL stage's core pieces: its lineage (what identifies a run), the tags it carries, the GRPO config, and no tasks."""

from __future__ import annotations

import dataclasses

import pytest

from envscale.config import RLSettings, TrainSettings
from envscale.models.rl_stage import NoRLTasks, RLLineage, grpo_config, lineage, rl_task_set
from envscale.warehouse import open_warehouse


def test_lineage_identifies_start_tasks_and_weight_changing_settings(shop_tasks):
    base = lineage("3", "envscale-agent", shop_tasks, RLSettings(), "abc123", "run-1")
    assert (base.start_model_uri, base.n_tasks, base.n_envs) == (
        "models:/envscale-agent/3",
        len(shop_tasks.tasks),
        1,
    )
    same = lineage(
        "3", "envscale-agent", shop_tasks, RLSettings(cpu_threads=8, experiment="other"), "abc123", None
    )
    assert same.rl_key == base.rl_key  # threads and the experiment change no weights
    assert lineage("4", "envscale-agent", shop_tasks, RLSettings(), "abc123", None).rl_key != base.rl_key
    assert (
        lineage("3", "envscale-agent", shop_tasks, RLSettings(learning_rate=1e-5), "abc123", None).rl_key
        != base.rl_key
    )
    fewer = dataclasses.replace(shop_tasks, tasks=shop_tasks.tasks[:1])
    assert (
        lineage("3", "envscale-agent", fewer, RLSettings(), "abc123", None).task_set_hash
        != base.task_set_hash
    )


def test_tags_leave_out_what_is_unknown():
    info = RLLineage(
        start_version="3",
        start_model_uri="models:/a/3",
        task_set_hash="t",
        env_ids_hash="e",
        n_tasks=2,
        n_envs=1,
        rl_key="k",
        code_version="c",
    )
    tags = info.tags()
    assert tags["envscale.rl.start_version"] == "3" and tags["envscale.rl.n_tasks"] == "2"
    assert "envscale.rl.warehouse_run_id" not in tags


@pytest.mark.slow  # importing TRL takes seconds
def test_grpo_config_follows_the_settings(tmp_path):
    config = grpo_config(
        RLSettings(num_generations=2, max_steps=3, bf16="off", max_tool_calls=5), tmp_path / "out"
    )
    assert (config.num_generations, config.per_device_train_batch_size, config.max_steps) == (2, 2, 3)
    assert (config.max_tool_calling_iterations, config.bf16, config.save_strategy) == (5, False, "no")
    assert config.output_dir == str(tmp_path / "out")


def test_no_training_split_environment_is_a_clear_error(tmp_path):
    with pytest.raises(NoRLTasks, match="run `envscale train` first"):
        rl_task_set(open_warehouse(tmp_path / "w.duckdb"), TrainSettings(), RLSettings())
