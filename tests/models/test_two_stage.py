"""The two-stage training run on a tiny model: MLflow parent and child runs, resume after interruption, reruns."""

from __future__ import annotations

from pathlib import Path

import pytest

from envscale.config import TrainSettings
from envscale.models.dataset_export import export_datasets
from envscale.models.registry import TrainingTracker, load_registered
from envscale.models.two_stage import lineage, run_stage, start_parent, training_key, training_root
from tests.support.model_weights import weights as _weights


class Interrupt(RuntimeError):
    pass


def _interrupt_at(step: int):
    from transformers import TrainerCallback

    class _Stop(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == step:
                raise Interrupt(f"simulated crash at step {step}")

    return _Stop()


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
