"""The model registry on a tiny model: logged and registered versions, downloads by URI, experiments typed for training."""

from __future__ import annotations

from envscale.models.registry import TrainingTracker, load_registered
from tests.support.model_weights import weights as _weights


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
