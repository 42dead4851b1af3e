"""Preflight checks read MLflow's registry file and the warehouse without Prefect or MLflow running."""

from __future__ import annotations

import pytest

from envscale.config import load_settings
from envscale.tasks.preflight import PreflightFailed, check


def _register(home, name: str, alias: str | None = None) -> None:
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(home.mlflow_uri)
    client = MlflowClient(tracking_uri=home.mlflow_uri, registry_uri=home.mlflow_uri)
    client.create_registered_model(name)
    version = client.create_model_version(name, source=str(home.root / "weights"))
    if alias:
        client.set_registered_model_alias(name, alias, version.version)


def test_a_registered_model_passes_and_a_missing_version_or_alias_does_not(home):
    settings = load_settings()
    with pytest.raises(PreflightFailed, match="has no alias 'challenger'"):
        check("promote", home, settings, {})
    _register(home, settings.train.registered_model)
    from envscale.tasks.preflight import _check_model

    name = settings.train.registered_model
    _check_model(home, None, name)  # no alias: the newest version is the challenger
    _check_model(home, f"models:/{name}/1", name)
    _check_model(home, f"models:/{name}/latest", name)
    with pytest.raises(PreflightFailed, match="no version 2"):
        _check_model(home, f"models:/{name}/2", name)
    with pytest.raises(PreflightFailed, match="no alias 'champion'"):
        _check_model(home, f"models:/{name}@champion", name)
    _check_model(home, "runs:/abc/model", name)  # run URIs are resolved by the stage


def test_each_check_passes_once_its_input_exists_and_reads_a_locked_warehouse_as_unknown(home):
    from envscale.environments.synthesis.sample_env import register_sample_env
    from envscale.warehouse import open_warehouse

    settings = load_settings()
    wh = open_warehouse(home.warehouse)
    for stage, why in (
        ("synthesize", "no accepted environments"),
        ("validate", "no trajectories"),
        ("train", "no accepted trajectories"),
    ):
        with pytest.raises(PreflightFailed, match=why):
            check(stage, home, settings, {})
    manifest = register_sample_env(wh, home.environments)
    check("synthesize", home, settings, {"environments": [manifest.name]})
    traj = {
        "trajectory_id": "t1",
        "task_id": "task",
        "env_id": manifest.env_id,
        "blueprint_id": "bp",
        "attempt": 0,
        "mode": "forward",
        "messages": [],
        "tools": [],
        "termination": "user_stop",
        "lineage_hash": "x",
    }
    wh.insert("trajectories", [traj])
    check("validate", home, settings, {})
    wh.insert("validations", [{"trajectory_id": "t1", "verdict": "rejected", "lineage_hash": "x"}])
    with pytest.raises(PreflightFailed, match="no accepted trajectories"):
        check("train", home, settings, {})  # a rejected one is nothing to train on
    with wh.transaction() as con:
        con.execute("UPDATE validations SET verdict = 'accepted'")
    check("train", home, settings, {})


def test_an_unreadable_warehouse_is_unknown_and_left_to_the_stage(tmp_path):
    from envscale.home import resolve_home

    settings = load_settings()
    empty = resolve_home(tmp_path / "empty").ensure()
    with pytest.raises(PreflightFailed, match="catalog is empty"):
        check("build", empty, settings, {})
    damaged = resolve_home(tmp_path / "damaged").ensure()
    damaged.warehouse.write_bytes(b"\x00junk" * 999)
    check("build", damaged, settings, {})  # cannot tell: the stage opens it and reports the damage
