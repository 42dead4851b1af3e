"""Bookkeeping every flow shares: the home, settings, warehouse and its `runs` row."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envscale.config import Settings, load_settings
from envscale.environments.store.runs import link_flow_run
from envscale.home import Home, activate
from envscale.integrity import reap_dead_runs
from envscale.warehouse import Warehouse, open_warehouse


@dataclass
class RunContext:
    """What a running stage needs; ``summary`` is stored on the run row when it ends."""

    home: Home
    settings: Settings
    warehouse: Warehouse
    run_id: str
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def run_dir(self) -> Path:
        path = self.home.runs / self.run_id
        path.mkdir(parents=True, exist_ok=True)
        return path


@contextmanager
def tracked_run(flow: str, params: dict[str, Any], *, input_hash: str | None = None) -> Iterator[RunContext]:
    """Record a `runs` row for the stage: running → completed, or failed with the error."""
    home = activate()
    settings = load_settings()
    warehouse = open_warehouse(home.warehouse)
    reap_dead_runs(warehouse)  # runs a killed process left 'running' become 'interrupted'
    run_id = warehouse.start_run(flow, params, input_hash=input_hash)
    ctx = RunContext(home=home, settings=settings, warehouse=warehouse, run_id=run_id)
    _link_prefect_run(ctx)
    from envscale.tasks.links import stage_tags, tag_flow_run

    tag_flow_run(stage_tags(flow))  # filterable by stage in the Prefect UI
    try:
        yield ctx
    except BaseException as exc:
        (ctx.run_dir / "error.txt").write_text(traceback.format_exc())
        warehouse.finish_run(run_id, "failed", ctx.summary, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    warehouse.finish_run(run_id, "completed", ctx.summary)


def _link_prefect_run(ctx: RunContext) -> None:
    """Store the Prefect flow-run id on the run row, when running inside a flow."""
    try:
        from prefect.runtime import flow_run

        flow_run_id = flow_run.id
    except Exception:  # outside Prefect: nothing to link
        return
    if flow_run_id:
        link_flow_run(ctx.warehouse, ctx.run_id, str(flow_run_id))
