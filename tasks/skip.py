"""Skip-if-unchanged: a stage whose inputs (content hash) equal those of its newest completed run.

Used by stages without their own idempotence (evaluate, promote). Ingest,
build, synthesize, validate and train already make a rerun cheap on their own
(content-addressed rows, environment reuse, resume keys, training keys), so
they do their (near no-op) work instead of trusting an old summary.
"""

from __future__ import annotations

from typing import Any

from envscale.environments.store.runs import record_input_hash
from envscale.tasks.run_context import RunContext


def skip_unchanged(ctx: RunContext, flow: str, input_hash: str) -> dict[str, Any] | None:
    """Record ``input_hash`` on this run; the previous summary when the newest completed run had the same one."""
    record_input_hash(ctx.warehouse, ctx.run_id, input_hash)
    previous = ctx.warehouse.last_completed_run(flow, input_hash)
    if previous is None:
        return None
    return {**previous["summary"], "skipped": True, "same_as_run": previous["run_id"]}
