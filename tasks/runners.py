"""The Prefect task runner a flow maps its work with: threads, Dask or Ray, from settings.

Workers never write the warehouse: mapped tasks return results and the flow,
the one writer, commits them.
"""

from __future__ import annotations

from typing import Any

from envscale.config import ScaleSettings


def task_runner(scale: ScaleSettings) -> Any:
    if scale.runner == "threads":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=scale.workers)
    if scale.runner == "dask":
        from prefect_dask import DaskTaskRunner

        if scale.address:
            return DaskTaskRunner(address=scale.address)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": scale.workers,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
            }
        )
    return ray_runner(scale)


# What a Ray worker needs from the driver's environment: the home, Prefect's API, MLflow, offline hubs.
_SHIPPED_ENV = ("ENVSCALE_", "PREFECT_", "MLFLOW_", "HF_", "TRANSFORMERS_", "OMP_NUM_THREADS")


def ray_runner(scale: ScaleSettings) -> Any:
    """RayTaskRunner on ``scale.address`` (ray://head:10001, or 'auto'), else a local Ray of ``workers`` CPUs.

    A Ray instance already initialized in this process is reused (prefect-ray's rule), so a
    caller can start one cluster for several flows and shut it down itself.
    """
    import os

    try:
        from prefect_ray import RayTaskRunner
    except ImportError as exc:  # optional: Ray is heavy and not in the lock
        raise RuntimeError("scale.runner='ray' needs `pip install prefect-ray`") from exc
    env = {k: v for k, v in os.environ.items() if k.startswith(_SHIPPED_ENV)}
    init: dict[str, Any] = {"runtime_env": {"env_vars": env}}
    if scale.address:
        return RayTaskRunner(address=scale.address, init_kwargs=init)
    init |= {"num_cpus": scale.workers, "include_dashboard": False}
    return RayTaskRunner(init_kwargs=init)
