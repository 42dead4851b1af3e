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
    try:
        from prefect_ray import RayTaskRunner
    except ImportError as exc:  # optional: Ray is heavy and not in the lock
        raise RuntimeError("scale.runner='ray' needs `pip install prefect-ray`") from exc
    return RayTaskRunner(address=scale.address) if scale.address else RayTaskRunner()
