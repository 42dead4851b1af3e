"""A warning when the configured synthesis is far beyond what the endpoint is measured to deliver."""

from __future__ import annotations

BUDGET_S = 1800.0  # more than half an hour still to go is worth saying while it can be stopped
MIN_DONE = 4  # episodes finished before the pace is trusted


def pace_warning(done: int, total: int, elapsed_s: float, *, budget_s: float = BUDGET_S) -> str | None:
    """What to say when the episodes left would take more than ``budget_s`` at the pace measured so far."""
    if done < MIN_DONE or done >= total or elapsed_s <= 0:
        return None
    per_s = done / elapsed_s
    remaining_s = (total - done) / per_s
    if remaining_s <= budget_s:
        return None
    return (
        f"at this endpoint's measured pace ({60 * per_s:.1f} episodes/min over the first {done}) the other "
        f"{total - done} take about {remaining_s / 60:.0f} min: lower synthesize.blueprints_per_environment, "
        "use synthesize.mode = 'reverse', or point llm.agent at a faster endpoint"
    )
