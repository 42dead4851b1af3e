"""Evaluation records: MLflow-ready metric names per domain, and the promotion decision as model-version tags."""

from __future__ import annotations

from envscale.environments.evaluation.records import Decision
from tests.support.eval_trials import report


def test_flat_metrics_are_plain_overall_and_prefixed_per_domain():
    flat = report().flat_metrics()
    assert flat["pass_1"] == 0.75 and flat["n_tasks"] == 2.0
    assert flat["shop.pass_1"] == 0.5 and flat["air line.pass_1"] == 1.0  # spaces are allowed in MLflow names
    assert flat["pass_hat_2"] == flat["pass_k"] == 0.5
    assert flat["accuracy_calls_1"] == 0.75
    assert "exact_match_rate" not in flat  # no read-only trials


def test_decision_tags():
    decision = Decision(
        promoted=False,
        reason="regression: shop",
        challenger_pass_1=0.5,
        champion_pass_1=0.6,
        delta=-0.1,
        margin=0.02,
        regression_tolerance=0.05,
        floor=0.1,
        regressions={"shop": 0.12345},
    )
    tags = decision.tags()
    assert tags["envscale.promotion.decision"] == "rejected"
    assert tags["envscale.promotion.delta"] == "-0.1000"
    assert tags["envscale.promotion.base_pass_1"] == ""  # not evaluated
    assert tags["envscale.promotion.regressions"] == "shop:0.1235"
