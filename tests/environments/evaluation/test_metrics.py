"""pass^k and the other metrics against values computed by hand."""

from __future__ import annotations

from typing import Any

import pytest

from envscale.environments.evaluation.metrics import build_report, compute_metrics, pass_hat_k
from envscale.environments.evaluation.records import TrialResult
from tests.support.trials import trial


def _trial(task: str, attempt: int, passed: bool, **fields: Any) -> TrialResult:
    """The hand-computed values below assume two gold calls, two tool calls and three turns, in domain d."""
    defaults: dict[str, Any] = dict(domain="d", n_gold_calls=2, turns=3, tool_calls=2)
    return trial(task, attempt, passed, **{**defaults, **fields})


def test_pass_hat_k_matches_tau_bench_definition_by_hand():
    # (n, c) = (4, 2), (4, 4), (4, 0)
    outcomes = [(4, 2), (4, 4), (4, 0)]
    assert pass_hat_k(outcomes, 1) == pytest.approx((0.5 + 1 + 0) / 3)
    assert pass_hat_k(outcomes, 2) == pytest.approx((1 / 6 + 1 + 0) / 3)  # comb(2,2)/comb(4,2) = 1/6
    assert pass_hat_k(outcomes, 3) == pytest.approx(1 / 3)  # comb(2,3) = 0
    assert pass_hat_k(outcomes, 4) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="fewer than k"):
        pass_hat_k(outcomes, 5)


def test_metrics_over_trials():
    trials = [
        _trial("a", 0, True),
        _trial("a", 1, False, tool_calls=4, error_calls=2),
        _trial("b", 0, True, n_gold_calls=1),
        _trial("b", 1, True, n_gold_calls=1),
        _trial("c", 0, False, read_only=True, exact_match=False, db_match=True, n_gold_calls=1),
        _trial("c", 1, True, read_only=True, exact_match=True, n_gold_calls=1),
    ]
    m = compute_metrics(trials, k=2)
    assert (m.n_tasks, m.n_trials) == (3, 6)
    assert m.pass_1 == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert m.pass_k == pytest.approx((0 + 1 + 0) / 3)
    assert m.pass_hat == {1: pytest.approx(2 / 3), 2: pytest.approx(1 / 3)}
    assert m.db_match_rate == pytest.approx(5 / 6)
    assert m.exact_match_rate == pytest.approx(0.5)  # only the read-only task's trials count
    assert m.error_call_rate == pytest.approx(2 / 14)
    assert m.avg_tool_calls == pytest.approx(14 / 6)
    assert m.accuracy_by_calls == {1: pytest.approx(3 / 4), 2: pytest.approx(1 / 2)}


def test_report_groups_domains_and_hashes_the_task_set():
    trials = [_trial("a", 0, True, domain="x"), _trial("b", 0, False, domain="y")]
    r = build_report(trials, label="m", k=1, seed=0, task_ids=["b", "a"])
    assert (
        set(r.per_domain) == {"x", "y"}
        and r.per_domain["x"].pass_1 == 1.0
        and r.per_domain["y"].pass_1 == 0.0
    )
    assert (
        r.task_set_hash == build_report(trials, label="other", k=1, seed=0, task_ids=["a", "b"]).task_set_hash
    )
    assert r.task_set_hash != build_report(trials, label="m", k=1, seed=1, task_ids=["a", "b"]).task_set_hash
    flat = r.flat_metrics()
    assert flat["pass_1"] == 0.5 and flat["x.pass_1"] == 1.0 and "y.pass_hat_1" in flat
