"""The task runner from settings: threads, a local or remote Dask, a local or remote Ray (constructed, not started)."""

from __future__ import annotations

import pytest

from envscale.config import ScaleSettings
from envscale.tasks.runners import task_runner


def test_threads():
    from prefect.task_runners import ThreadPoolTaskRunner

    runner = task_runner(ScaleSettings(runner="threads", workers=3))
    assert isinstance(runner, ThreadPoolTaskRunner) and runner._max_workers == 3


def test_dask_local_cluster_or_address():
    from prefect_dask import DaskTaskRunner

    local = task_runner(ScaleSettings(runner="dask", workers=4))
    assert isinstance(local, DaskTaskRunner) and local.address is None
    assert local.cluster_kwargs["n_workers"] == 4 and local.cluster_kwargs["processes"] is True
    remote = task_runner(ScaleSettings(runner="dask", address="tcp://scheduler:8786"))
    assert remote.address == "tcp://scheduler:8786"


def test_ray_ships_only_envscale_prefect_mlflow_and_hub_variables(monkeypatch):
    RayTaskRunner = pytest.importorskip("prefect_ray").RayTaskRunner
    monkeypatch.setenv("ENVSCALE_HOME", "/h")
    monkeypatch.setenv("PREFECT_API_URL", "http://x")
    monkeypatch.setenv("SECRET_TOKEN", "no")
    local = task_runner(ScaleSettings(runner="ray", workers=2))
    assert isinstance(local, RayTaskRunner)
    env = local.init_kwargs["runtime_env"]["env_vars"]
    assert env["ENVSCALE_HOME"] == "/h" and env["PREFECT_API_URL"] == "http://x" and "SECRET_TOKEN" not in env
    assert local.init_kwargs["num_cpus"] == 2
    remote = task_runner(ScaleSettings(runner="ray", address="ray://head:10001"))
    assert remote.address == "ray://head:10001" and "num_cpus" not in remote.init_kwargs
