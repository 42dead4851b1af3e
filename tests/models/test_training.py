"""Training stages on a tiny model: MLflow child runs, resume after interruption, LoRA, registry round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from envscale.config import TrainSettings
from envscale.models.dataset_export import export_datasets
from envscale.models.registry import TrainingTracker, load_registered
from envscale.models.training import DONE_MARKER, prune_finished_checkpoints, train_stage
from envscale.models.two_stage import lineage, run_stage, start_parent, training_key, training_root


class Interrupt(RuntimeError):
    pass


def _interrupt_at(step: int):
    from transformers import TrainerCallback

    class _Stop(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == step:
                raise Interrupt(f"simulated crash at step {step}")

    return _Stop()


def _weights(model_dir: str | Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(Path(model_dir) / "model.safetensors"))


@pytest.mark.slow
def test_stage_resumes_into_same_mlflow_run_and_registers(
    home, seeded_warehouse, tiny_model_dir, tmp_path
) -> None:
    settings = TrainSettings(vertical=["retail"], max_steps=4, save_steps=2, batch_size=2, learning_rate=1e-3)
    export = export_datasets(seeded_warehouse, tmp_path / "ds", settings)
    key = training_key(tiny_model_dir, export, settings)
    root = training_root(home, key)
    info = lineage("tiny", tiny_model_dir, export, key, None)
    tracker = TrainingTracker(home, "test-train")
    parent = start_parent(tracker, info, settings, export)
    split = export.splits["stage1"]

    with pytest.raises(Interrupt):
        run_stage(
            tracker,
            parent,
            info,
            "stage1",
            tiny_model_dir,
            split,
            root,
            settings,
            learning_rate=1e-3,
            extra_callbacks=(_interrupt_at(3),),
        )
    first_child = tracker.find_run(key, "stage1", parent)
    assert first_child.info.status == "FAILED"
    assert (root / "stage1" / "checkpoints" / "checkpoint-2").is_dir()

    # a new process would find the same parent by key and resume from checkpoint-2
    assert tracker.parent_run(key, "again", {}) == parent
    result = run_stage(
        tracker, parent, info, "stage1", tiny_model_dir, split, root, settings, learning_rate=1e-3
    )
    assert Path(result.resumed_from).name == "checkpoint-2"
    assert result.global_step == 4 and result.tokens_seen > 0
    child = tracker.find_run(key, "stage1", parent)
    assert child.info.run_id == first_child.info.run_id and child.info.status == "FINISHED"
    loss_steps = [m.step for m in tracker.client.get_metric_history(child.info.run_id, "loss")]
    assert set(loss_steps) == {1, 2, 3, 4}  # steps 1-2 before the crash, 3-4 after resuming
    assert tracker.client.get_metric_history(child.info.run_id, "learning_rate")
    assert tracker.client.get_metric_history(child.info.run_id, "tokens_seen")[-1].value == result.tokens_seen
    inputs = child.inputs.dataset_inputs
    assert [(d.dataset.name, d.dataset.digest) for d in inputs] == [("envscale-stage1", split.dataset_id)]
    artifacts = [a.path for a in tracker.client.list_artifacts(child.info.run_id, "checkpoints/checkpoint-4")]
    assert "checkpoints/checkpoint-4/model.safetensors" in artifacts
    assert not any(a.endswith("optimizer.pt") for a in artifacts)
    # logged, the finished stage's local checkpoints (optimizer state included) are gone; its model stays
    assert not (root / "stage1" / "checkpoints").exists()
    assert (Path(result.model_dir) / "model.safetensors").is_file()
    # running the finished stage again trains nothing
    assert (
        run_stage(tracker, parent, info, "stage1", tiny_model_dir, split, root, settings, learning_rate=1e-3)
        == result
    )

    # stage 2 starts from stage 1's weights
    stage2 = run_stage(
        tracker,
        parent,
        info,
        "stage2",
        Path(result.model_dir),
        export.splits["stage2"],
        root,
        settings,
        learning_rate=1e-3,
    )
    assert stage2.global_step == 4
    assert tracker.client.get_run(tracker.find_run(key, "stage2", parent).info.run_id).data.params[
        "start_model"
    ] == (result.model_dir)

    version = tracker.log_and_register(parent, stage2.model_dir, "envscale-agent", info.tags())
    tracker.finish(parent)
    assert version == "1"
    mv = tracker.client.get_model_version("envscale-agent", version)
    for tag in ("base_model", "dataset_hash", "env_ids_hash", "code_version", "training_key"):
        assert mv.tags[f"envscale.{tag}"] == str(getattr(info, tag))
    assert mv.run_id == parent
    # artifacts live in the home, not ./mlruns
    assert Path(tracker.client.get_run(parent).info.artifact_uri.removeprefix("file://")).is_relative_to(
        home.mlflow_artifacts
    )

    local = load_registered(f"models:/envscale-agent/{version}", home)
    assert local.is_relative_to(home.cache)
    loaded, trained = _weights(local), _weights(stage2.model_dir)
    assert loaded.keys() == trained.keys() and all((loaded[k] == trained[k]).all() for k in loaded)
    assert load_registered("models:/envscale-agent/latest", home) == local

    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(local)
    model = AutoModelForCausalLM.from_pretrained(local)
    inputs = tokenizer.apply_chat_template(
        [{"role": "user", "content": "look up order 42"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > inputs["input_ids"].shape[1]


def test_lora_stage_yields_merged_plain_weights(home, seeded_warehouse, tiny_model_dir, tmp_path) -> None:
    settings = TrainSettings(
        max_steps=2, save_steps=10, batch_size=2, learning_rate=1e-2, lora=True, lora_r=4
    )
    export = export_datasets(seeded_warehouse, tmp_path / "ds", settings)
    result = train_stage(
        "stage1", tiny_model_dir, Path(export.splits["stage1"].path), tmp_path / "s1", settings
    )
    files = {p.name for p in Path(result.model_dir).iterdir()}
    assert "model.safetensors" in files and "adapter_config.json" not in files
    before, after = _weights(tiny_model_dir), _weights(result.model_dir)
    assert before.keys() == after.keys()  # no lora_A/lora_B left: merged
    assert any(not (before[k] == after[k]).all() for k in before)


def test_a_stage_draws_one_bar_with_steps_loss_and_speed_not_log_dicts(
    home, seeded_warehouse, tiny_model_dir, tmp_path, capsys
) -> None:
    import io

    settings = TrainSettings(max_steps=3, save_steps=10, batch_size=1, learning_rate=1e-3)
    export = export_datasets(seeded_warehouse, tmp_path / "ds", settings)
    bar = io.StringIO()
    train_stage(
        "stage1",
        tiny_model_dir,
        Path(export.splits["stage1"].path),
        tmp_path / "s1",
        settings,
        progress_file=bar,
    )
    drawn = bar.getvalue()
    assert "train stage1" in drawn and "3/3" in drawn
    assert "loss=" in drawn and "tokens/s" in drawn
    printed = capsys.readouterr()
    assert "{'loss'" not in printed.out + printed.err  # the Trainer's raw log dicts are gone


def test_empty_split_is_a_clear_error(home, tiny_model_dir, tmp_path) -> None:
    from envscale.warehouse import open_warehouse

    settings = TrainSettings(max_steps=1)
    export = export_datasets(open_warehouse(home.warehouse), tmp_path / "ds", settings)
    with pytest.raises(ValueError, match="empty"):
        train_stage("stage1", tiny_model_dir, Path(export.splits["stage1"].path), tmp_path / "s1", settings)


def test_only_a_finished_stage_loses_its_checkpoints(tmp_path) -> None:
    stage = tmp_path / "stage1"
    checkpoint = stage / "checkpoints" / "checkpoint-2"
    checkpoint.mkdir(parents=True)
    (checkpoint / "optimizer.pt").write_bytes(b"x" * 1000)
    (checkpoint / "model.safetensors").write_bytes(b"y" * 24)
    assert prune_finished_checkpoints(stage) == 0  # unfinished: a rerun resumes from it
    assert checkpoint.is_dir()
    (stage / "model").mkdir()
    (stage / "model" / DONE_MARKER).write_text("{}")
    assert prune_finished_checkpoints(stage) == 1024
    assert not (stage / "checkpoints").exists() and (stage / "model" / DONE_MARKER).is_file()
    assert prune_finished_checkpoints(stage) == 0


def test_finished_stage_reruns_when_its_mlflow_run_is_gone(
    home, seeded_warehouse, tiny_model_dir, tmp_path
) -> None:
    # e.g. train.experiment changed: the child run is not found, the pruned checkpoint must not be re-logged
    settings = TrainSettings(max_steps=2, save_steps=2, batch_size=2, max_length=512)
    export = export_datasets(seeded_warehouse, tmp_path / "ds", settings)
    key = training_key(tiny_model_dir, export, settings)
    root = training_root(home, key)
    info = lineage("tiny", tiny_model_dir, export, key, None)

    def run(experiment: str):
        tracker = TrainingTracker(home, experiment)
        parent = start_parent(tracker, info, settings, export)
        split = export.splits["stage1"]
        return run_stage(
            tracker, parent, info, "stage1", tiny_model_dir, split, root, settings, learning_rate=1e-3
        )

    first = run("train-a")
    assert first.checkpoint_dir and not Path(first.checkpoint_dir).exists()  # pruned after logging
    again = run("train-b")
    assert again.model_dir == first.model_dir and again.global_step == first.global_step


def _log_tiny(home, tiny_model_dir, experiment: str) -> tuple[str, str]:
    tracker = TrainingTracker(home, experiment)
    run = tracker.client.create_run(tracker.experiment_id, run_name="tiny").info.run_id
    version = tracker.log_and_register(run, tiny_model_dir, "envscale-agent", {"envscale.base_model": "tiny"})
    tracker.finish(run)
    return run, version


def test_a_runs_uri_loads_the_logged_model(home, tiny_model_dir) -> None:
    run, _ = _log_tiny(home, tiny_model_dir, "test-runs-uri")
    local = load_registered(f"runs:/{run}/model", home)
    assert local.is_relative_to(home.cache)
    loaded, logged = _weights(local), _weights(tiny_model_dir)
    assert loaded.keys() == logged.keys() and all((loaded[k] == logged[k]).all() for k in loaded)
    assert load_registered(f"runs:/{run}/model", home) == local  # cached


def test_models_are_downloaded_from_the_tracking_uri_the_user_exported(
    home, tiny_model_dir, tmp_path, monkeypatch
) -> None:
    other = tmp_path / "other-mlflow"
    other.mkdir()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{other / 'mlflow.db'}")
    run, version = _log_tiny(home, tiny_model_dir, "test-exported-uri")
    assert (load_registered(f"models:/envscale-agent/{version}", home) / "config.json").is_file()
    assert (load_registered(f"runs:/{run}/model", home) / "config.json").is_file()


def test_registered_model_reads_as_model_training_in_mlflow(home, tiny_model_dir) -> None:
    """Experiment typed for model training, model and version described, signature + example, alias challenger."""
    from mlflow.models import Model

    from envscale.models.registry import (
        EXPERIMENT_KIND_TAG,
        TRAINING_KIND,
        model_version_url,
        run_url,
    )

    run, version = _log_tiny(home, tiny_model_dir, "test-ml-ui")
    tracker = TrainingTracker(home, "test-ml-ui")
    experiment = tracker.client.get_experiment(tracker.experiment_id)
    assert experiment.tags[EXPERIMENT_KIND_TAG] == TRAINING_KIND
    assert experiment.tags["mlflow.note.content"]
    model = tracker.client.get_registered_model("envscale-agent")
    assert "challenger" in model.description and "champion" in model.description
    assert {k: str(v) for k, v in model.aliases.items()} == {"challenger": version}
    mv = tracker.client.get_model_version("envscale-agent", version)
    assert run in mv.description
    import mlflow.artifacts

    local = mlflow.artifacts.download_artifacts(f"runs:/{run}/model", dst_path=str(home.root / "dl"))
    logged = Model.load(local)
    assert [c.name for c in logged.signature.inputs.inputs] == ["messages", "tools"]
    assert "tool_calls" in [c.name for c in logged.signature.outputs.inputs]
    assert "get_order" in logged.load_input_example(local)["tools"][0]
    # a second version takes the challenger alias over
    _, second = _log_tiny(home, tiny_model_dir, "test-ml-ui")
    aliases = tracker.client.get_registered_model("envscale-agent").aliases
    assert {k: str(v) for k, v in aliases.items()} == {"challenger": second}
    assert run_url(tracker.experiment_id, run).endswith(f"/runs/{run}?workflowType=machine_learning")
    assert model_version_url("envscale-agent", second).endswith("/models/envscale-agent/versions/2")


def test_an_existing_untyped_experiment_is_typed_on_next_use(home) -> None:
    from envscale.models.registry import EXPERIMENT_KIND_TAG, TRAINING_KIND, client, ensure_experiment

    mlflow_client = client(home)
    old = mlflow_client.create_experiment(
        "made-before", artifact_location=(home.mlflow_artifacts / "x").as_uri()
    )
    assert EXPERIMENT_KIND_TAG not in mlflow_client.get_experiment(old).tags
    assert ensure_experiment(home, "made-before") == old
    assert mlflow_client.get_experiment(old).tags[EXPERIMENT_KIND_TAG] == TRAINING_KIND


def test_parent_run_has_datasets_summary_metrics_and_few_tags(
    home, seeded_warehouse, tiny_model_dir, tmp_path
) -> None:
    from envscale.models.training import StageResult
    from envscale.models.two_stage import finish_parent

    settings = TrainSettings(vertical=["retail"], max_steps=4)
    export = export_datasets(seeded_warehouse, tmp_path / "ds", settings)
    key = training_key(tiny_model_dir, export, settings)
    info = lineage("tiny", tiny_model_dir, export, key, "wh-run-1")
    tracker = TrainingTracker(home, "test-parent")
    parent = start_parent(tracker, info, settings, export)
    from envscale.models.training import device_plan

    plan = device_plan(settings, "cpu")
    results = {
        stage: StageResult.model_validate(
            {
                "stage": stage,
                "model_dir": str(tmp_path / stage),
                "global_step": 4,
                "train_loss": loss,
                "tokens_seen": 100,
                "n_examples": 2,
                "runtime_s": 1.5,
                "plan": plan.model_dump(),
                "lora": False,
            }
        )
        for stage, loss in (("stage1", 2.0), ("stage2", 1.25))
    }
    finish_parent(tracker, parent, results)
    run = tracker.client.get_run(parent)
    m = run.data.metrics
    assert m["final_train_loss"] == 1.25 and m["stage1_final_loss"] == 2.0
    assert m["total_steps"] == 8 and m["total_tokens_seen"] == 200
    names = {d.dataset.name for d in run.inputs.dataset_inputs}
    assert {"envscale-stage1", "envscale-stage2"} <= names
    envscale_tags = [t for t in run.data.tags if t.startswith("envscale.")]
    assert len(envscale_tags) <= 6, envscale_tags
    assert run.data.tags["mlflow.source.name"] == "envscale"
    assert "tiny" in run.data.tags["mlflow.note.content"]
    assert run.data.params["lineage.dataset_hash"] == export.dataset_hash
