"""Judged trials for tests of the reports built from them (metrics, plots, promotion, the verdict)."""

from __future__ import annotations

from typing import Any

from envscale.environments.evaluation.records import TrialResult


def trial(task_id: str, attempt: int, passed: bool, **fields: Any) -> TrialResult:
    """One trial whose state matched when it passed; one gold call, two turns, one call, unless given."""
    defaults: dict[str, Any] = dict(
        env_id="e",
        domain="hotel",
        db_match=passed,
        read_only=False,
        n_gold_calls=1,
        turns=2,
        tool_calls=1,
        error_calls=0,
        termination="user_stop",
    )
    return TrialResult(task_id=task_id, attempt=attempt, passed=passed, **{**defaults, **fields})
