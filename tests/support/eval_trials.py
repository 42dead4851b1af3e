"""Judged trials and reports for the evaluation tests (records, store, transcript)."""

from __future__ import annotations

from envscale.environments.evaluation.metrics import build_report
from envscale.environments.evaluation.records import EvalReport, TrialResult


def trial(task: str, attempt: int = 0, passed: bool = True, **over) -> TrialResult:
    fields = {
        "task_id": task,
        "env_id": "e1",
        "domain": "shop",
        "attempt": attempt,
        "passed": passed,
        "db_match": passed,
        "read_only": False,
        "n_gold_calls": 1,
        "turns": 2,
        "tool_calls": 1,
        "error_calls": 0,
        "termination": "user_stop",
    }
    return TrialResult(**{**fields, **over})


def report(label: str = "base", model_version: str | None = None) -> EvalReport:
    trials = [
        trial("t1", 0, True),
        trial("t1", 1, False),
        trial("t2", 0, True, domain="air line"),
        trial("t2", 1, True, domain="air line"),
    ]
    return build_report(trials, label=label, k=2, seed=0, task_ids=["t1", "t2"], model_version=model_version)
