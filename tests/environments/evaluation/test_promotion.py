"""Promotion rules: first champion above the floor, the margin, per-domain regressions."""

from __future__ import annotations

import pytest

from envscale.environments.evaluation.metrics import build_report
from envscale.environments.evaluation.promotion import NotComparable, decide
from tests.support.trials import trial


def _report(label: str, passes: dict[str, list[bool]], seed: int = 0):
    """passes: task 'domain/task' -> one bool per trial."""
    trials = [
        trial(key, i, p, domain=key.split("/")[0]) for key, ps in passes.items() for i, p in enumerate(ps)
    ]
    return build_report(trials, label=label, k=2, seed=seed, task_ids=list(passes))


RULES = dict(margin=0.1, regression_tolerance=0.2, floor=0.3)


def test_first_champion_needs_the_floor():
    good = _report("a", {"x/1": [True, False], "x/2": [False, False]})  # pass^1 0.25
    assert not decide(good, None, **RULES).promoted
    assert decide(good, None, **RULES).reason.startswith("below_floor")
    better = _report("b", {"x/1": [True, True], "x/2": [False, False]})  # 0.5
    d = decide(better, None, **RULES)
    assert d.promoted and d.reason.startswith("first_champion") and d.champion_pass_1 is None


def test_margin_decides():
    champion = _report("c", {"x/1": [True, False], "y/1": [True, False]})  # 0.5
    small = _report("s", {"x/1": [True, True], "y/1": [True, False]})  # 0.75 (+0.25)
    assert decide(small, champion, **{**RULES, "margin": 0.3}).reason.startswith("no_gain")
    d = decide(small, champion, **RULES)
    assert d.promoted and d.delta == pytest.approx(0.25)
    same = _report("z", {"x/1": [False, True], "y/1": [True, False]})
    assert not decide(same, champion, **{**RULES, "margin": 0.0}).promoted  # equal is no gain


def test_a_domain_regression_blocks_an_overall_gain():
    champion = _report("c", {"x/1": [True, True], "y/1": [False, False], "y/2": [False, False]})  # x 1.0
    challenger = _report(
        "d", {"x/1": [False, True], "y/1": [True, True], "y/2": [True, True]}
    )  # x 0.5, y 1.0
    d = decide(challenger, champion, **RULES)
    assert not d.promoted and d.reason.startswith("domain_regression: x") and d.regressions == {"x": 0.5}
    assert decide(challenger, champion, **{**RULES, "regression_tolerance": 0.5}).promoted
    assert d.tags()["envscale.promotion.decision"] == "rejected"


def test_reports_on_different_task_sets_are_not_compared():
    a = _report("a", {"x/1": [True, True]})
    b = _report("b", {"x/1": [True, True]}, seed=1)
    with pytest.raises(NotComparable):
        decide(a, b, **RULES)


def test_first_champion_at_zero_is_not_a_promotion():
    nothing = _report("n", {"x/1": [False, False]})
    d = decide(nothing, None, **{**RULES, "floor": 0.0})
    assert not d.promoted and d.reason.startswith("nothing_solved")
    assert not decide(nothing, None, base=nothing, **{**RULES, "floor": 0.0, "margin": 0.0}).promoted


def test_the_challenger_must_beat_the_base_model_by_the_margin():
    base = _report("base", {"x/1": [True, False], "x/2": [False, False]})  # 0.25
    same = _report("s", {"x/1": [False, True], "x/2": [False, False]})  # 0.25
    d = decide(same, None, base=base, **{**RULES, "floor": 0.0, "margin": 0.0})
    assert not d.promoted and d.reason.startswith("no_gain_over_base") and d.base_pass_1 == 0.25
    better = _report("b", {"x/1": [True, True], "x/2": [True, False]})  # 0.75 (+0.5)
    assert not decide(better, None, base=base, **{**RULES, "margin": 0.6}).promoted
    d = decide(better, None, base=base, **RULES)
    assert d.promoted and d.reason.startswith("first_champion") and "base 0.2500" in d.reason
    assert d.tags()["envscale.promotion.base_pass_1"] == "0.2500"
    # Beating a weak champion is not enough when the base model is as good.
    champion = _report("c", {"x/1": [False, False], "x/2": [False, False]})  # 0.0
    strong_base = _report("sb", {"x/1": [True, True], "x/2": [True, False]})  # 0.75
    d = decide(better, champion, base=strong_base, **RULES)
    assert not d.promoted and d.reason.startswith("no_gain_over_base")
    with pytest.raises(NotComparable):
        decide(better, None, base=_report("o", {"x/1": [True, True]}), **RULES)
