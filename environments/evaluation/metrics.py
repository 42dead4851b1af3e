"""pass^k and the other evaluation metrics, from judged trials.

pass^k follows τ-bench: for a task tried n times with c successes, the chance
that k trials drawn without replacement all pass is comb(c, k) / comb(n, k);
pass^k is its mean over tasks (pass^1 is the mean success rate).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from math import comb

from envscale.environments.evaluation.records import EvalReport, Metrics, SkippedTask, TrialResult
from envscale.hashing import content_hash


def pass_hat_k(outcomes: Sequence[tuple[int, int]], k: int) -> float:
    """Mean over tasks of comb(c, k) / comb(n, k), for (n trials, c successes) per task."""
    if k <= 0:
        raise ValueError("k must be positive")
    scores = []
    for n, c in outcomes:
        if n < k:
            raise ValueError(f"a task has {n} trials, fewer than k={k}")
        scores.append(comb(c, k) / comb(n, k))
    return sum(scores) / len(scores) if scores else 0.0


def compute_metrics(trials: Sequence[TrialResult], k: int) -> Metrics:
    """Metrics over ``trials`` (each task played at least ``k`` times)."""
    per_task: dict[str, list[TrialResult]] = defaultdict(list)
    for t in trials:
        per_task[t.task_id].append(t)
    outcomes = [(len(ts), sum(t.passed for t in ts)) for ts in per_task.values()]
    n_trials = len(trials)
    calls = sum(t.tool_calls for t in trials)
    read_only = [t for t in trials if t.exact_match is not None]
    by_calls: dict[int, list[bool]] = defaultdict(list)
    for t in trials:
        by_calls[t.n_gold_calls].append(t.passed)
    max_j = min([k, *(n for n, _ in outcomes)]) if outcomes else k
    return Metrics(
        n_tasks=len(per_task),
        n_trials=n_trials,
        k=k,
        pass_1=pass_hat_k(outcomes, 1),
        pass_k=pass_hat_k(outcomes, k) if outcomes else 0.0,
        pass_hat={j: pass_hat_k(outcomes, j) for j in range(1, max_j + 1)},
        db_match_rate=_mean(t.db_match for t in trials),
        exact_match_rate=_mean(bool(t.exact_match) for t in read_only) if read_only else None,
        avg_turns=_mean(t.turns for t in trials),
        avg_tool_calls=calls / n_trials if n_trials else 0.0,
        error_call_rate=sum(t.error_calls for t in trials) / calls if calls else 0.0,
        accuracy_by_calls={n: _mean(v) for n, v in sorted(by_calls.items())},
    )


def task_set_hash(task_ids: Iterable[str], k: int, seed: int) -> str:
    """Equal hashes mean two reports played the same tasks with the same k and seeds."""
    return content_hash({"tasks": sorted(task_ids), "k": k, "seed": seed})


def build_report(
    trials: Sequence[TrialResult],
    *,
    label: str,
    k: int,
    seed: int,
    task_ids: Iterable[str],
    skipped: Sequence[SkippedTask] = (),
    model_uri: str | None = None,
    model_version: str | None = None,
    wall_s: float = 0.0,
) -> EvalReport:
    by_domain: dict[str, list[TrialResult]] = defaultdict(list)
    for t in trials:
        by_domain[t.domain].append(t)
    ordered = sorted(trials, key=lambda t: (t.domain, t.task_id, t.attempt))
    return EvalReport(
        label=label,
        model_uri=model_uri,
        model_version=model_version,
        k=k,
        seed=seed,
        task_set_hash=task_set_hash(task_ids, k, seed),
        overall=compute_metrics(trials, k),
        per_domain={d: compute_metrics(ts, k) for d, ts in sorted(by_domain.items())},
        trials=tuple(ordered),
        skipped=tuple(skipped),
        wall_s=round(wall_s, 3),
    )


def _mean(values: Iterable[float | bool]) -> float:
    items = [float(v) for v in values]
    return sum(items) / len(items) if items else 0.0
