"""The rl flow end to end on the tiny model: training-split tasks only, reward in MLflow, a new tagged version."""

from __future__ import annotations

import pytest

from envscale.config import RLSettings, SynthesizeSettings, TrainSettings
from envscale.warehouse import open_warehouse

RL_ENV = {
    "ENVSCALE_RL__NUM_GENERATIONS": "8",
    "ENVSCALE_RL__MAX_COMPLETION_LENGTH": "96",
    "ENVSCALE_RL__LEARNING_RATE": "0.001",
    "ENVSCALE_RL__MAX_TASKS": "1",
    "ENVSCALE_RL__MAX_STEPS": "2",
    "ENVSCALE_TRAIN__VERTICAL": '["shop_a"]',
}
# The sample shops count as imported (benchmarks, held out) unless chosen as vertical: shop_a is trained on.
TRAIN = TrainSettings(vertical=["shop_a"])
# Single-call walks: the tiny model is taught one gold call, so GRPO's samples sometimes pass.
ONE_CALL = SynthesizeSettings(blueprints_per_environment=3, planner="walk", min_calls=1, max_calls=1)


def _two_shops(home, tmp_path) -> None:
    """Two accepted environments with single-call tasks, and an export that splits them (one held out)."""
    from envscale.environments.synthesis import store
    from envscale.environments.synthesis.intents import template_task
    from envscale.environments.synthesis.run import sample_environment
    from envscale.environments.synthesis.sample_env import register_sample_env
    from envscale.models.dataset_export import export_datasets

    wh = open_warehouse(home.warehouse)
    for name in ("shop_a", "shop_b"):
        manifest = register_sample_env(wh, home.environments, name=name)
        kept, _ = sample_environment(manifest, home.environments, ONE_CALL)
        store.save_blueprints(wh, kept, None)
        store.save_tasks(wh, [template_task(bp) for bp in kept], None)
    export_datasets(wh, tmp_path / "export", TRAIN, run_id=None)


def _start_model(home, tmp_path, task_set) -> str:
    """The tiny model taught the RL task's gold call, registered and made champion."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from envscale.models.registry import client
    from envscale.models.rl import set_response_template
    from envscale.models.tiny import build_tiny_model
    from tests.support.evaluation_helpers import register_tiny_versions
    from tests.support.rl import teach_gold_call

    torch.manual_seed(0)
    tiny = build_tiny_model(tmp_path / "tiny")
    tokenizer = set_response_template(AutoTokenizer.from_pretrained(tiny))
    model = AutoModelForCausalLM.from_pretrained(tiny)
    teach_gold_call(model, tokenizer, task_set, task_set.tasks[0])
    model.save_pretrained(tiny)
    (version,) = register_tiny_versions(home, tiny, 1)
    client(home).set_registered_model_alias("envscale-agent", "champion", version)
    return version


@pytest.mark.slow
def test_rl_flow_trains_on_training_split_and_registers_a_tagged_version(
    prefect_harness, home, tmp_path, monkeypatch
):
    import torch
    from safetensors.torch import load_file

    from envscale.environments.evaluation.metrics import task_set_hash
    from envscale.environments.evaluation.tasks import heldout_env_ids
    from envscale.flows.registry import stage
    from envscale.hashing import content_hash
    from envscale.models.registry import client, load_registered
    from envscale.models.rl_stage import rl_env_ids, rl_task_set
    from envscale.tasks.evaluate import resolve_model

    for key, value in RL_ENV.items():
        monkeypatch.setenv(key, value)
    _two_shops(home, tmp_path)
    wh = open_warehouse(home.warehouse)
    (trained,) = rl_env_ids(wh, TRAIN)
    assert heldout_env_ids(wh) and trained not in heldout_env_ids(wh)  # evaluation never plays it
    settings = RLSettings(max_tasks=1, num_generations=8)
    task_set = rl_task_set(wh, TRAIN, settings)
    assert {t.blueprint.env_id for t in task_set.tasks} == {trained}
    start = _start_model(home, tmp_path, task_set)

    out = stage("rl").load()()  # default start: the champion
    assert out["start_version"] == start and out["registered"] == "envscale-agent/2"
    assert out["steps"] == 2 and len(out["rewards"]) == 2
    # the environment's judge is the only reward: some rollouts passed, some did not
    assert any(0.0 < r < 1.0 for r in out["rewards"]), out["rewards"]

    mlflow = client(home)
    rewards = mlflow.get_metric_history(out["mlflow_run_id"], "reward")
    assert sorted(m.step for m in rewards) == [1, 2]
    assert [m.value for m in sorted(rewards, key=lambda m: m.step)] == pytest.approx(out["rewards"])
    tags = mlflow.get_model_version("envscale-agent", "2").tags
    assert tags["envscale.rl.start_version"] == start
    assert tags["envscale.rl.env_ids_hash"] == content_hash([trained])
    assert tags["envscale.rl.task_set_hash"] == task_set_hash(task_set.task_ids, 8, 0)
    assert tags["envscale.trained_by"] == "grpo"

    before = load_file(load_registered(f"models:/envscale-agent/{start}", home) / "model.safetensors")
    after = load_file(load_registered(out["model_uri"], home) / "model.safetensors")
    assert any(not torch.equal(before[k], after[k]) for k in before)  # GRPO moved the weights
    # the new version is the default challenger: evaluate and promote take it like any version
    assert resolve_model(home, None, "envscale-agent").version == "2"

    again = stage("rl").load()(from_version=start)
    assert again["skipped"] is True and again["registered"] == "envscale-agent/2"
    with wh.connect() as con:
        assert con.execute(
            "SELECT count(*) FROM runs WHERE flow = 'rl' AND status = 'completed'"
        ).fetchone() == (2,)


def test_rl_from_an_unknown_version_is_one_clear_error(prefect_harness, home, tmp_path):
    from envscale.flows.rl import rl
    from envscale.models.rl_stage import NoStartVersion

    with pytest.raises(NoStartVersion, match="has no version 7"):
        rl(from_version="7")


def test_cli_train_stage_rl_names_a_missing_start_version_in_one_line(tmp_path):
    from tests.envscale.test_cli import run

    bad = run(["--home", str(tmp_path / "h"), "train", "--stage", "bogus"], tmp_path / "h", tmp_path)
    assert (
        bad.returncode == 2
        and "'--stage'" in bad.stderr
        and "'bogus' is not one of 'sft', 'rl'" in bad.stderr
    )
    mixed = run(["--home", str(tmp_path / "h"), "train", "--from-version", "3"], tmp_path / "h", tmp_path)
    assert mixed.returncode == 2 and "--from-version goes with --stage rl" in mixed.stderr
    result = run(
        ["--home", str(tmp_path / "h"), "train", "--stage", "rl", "--from-version", "7"],
        tmp_path / "h",
        tmp_path,
    )
    assert result.returncode != 0 and "has no version 7" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout
