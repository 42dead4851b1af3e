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
