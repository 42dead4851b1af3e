"""What the stages add to their `runs` row, and read back from other runs.

The kernel's ``Warehouse`` opens and closes runs (``start_run``, ``finish_run``,
``last_completed_run``, ``newest_completed_run``: it owns the reaping of dead runs); these are the stage-side extras.
"""

from __future__ import annotations

from typing import Any

from envscale.warehouse import Warehouse


def link_flow_run(wh: Warehouse, run_id: str, flow_run_id: str) -> None:
    """Store the Prefect flow-run id on the run row (the UI link)."""
    with wh.transaction() as con:
        con.execute("UPDATE runs SET prefect_flow_run_id = ? WHERE run_id = ?", [flow_run_id, run_id])


def record_input_hash(wh: Warehouse, run_id: str, input_hash: str) -> None:
    """Store the content hash of the run's inputs (what skip-if-unchanged compares)."""
    with wh.transaction() as con:
        con.execute("UPDATE runs SET input_hash = ? WHERE run_id = ?", [input_hash, run_id])


def latest_completed(wh: Warehouse, flow: str) -> tuple[str, dict[str, Any]] | None:
    """(run id, summary) of the newest completed run of ``flow`` (None when it never completed)."""
    newest = wh.newest_completed_run(flow)
    return None if newest is None else (newest["run_id"], newest["summary"])


def latest_summary(wh: Warehouse, flow: str) -> dict[str, Any] | None:
    """The summary of the newest completed run of ``flow`` (None when it never completed)."""
    found = latest_completed(wh, flow)
    return None if found is None else found[1]
