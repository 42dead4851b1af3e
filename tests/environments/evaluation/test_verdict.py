"""The demo's learning verdict: a gain, no gain, a regression, and the reasons given."""

from __future__ import annotations

from envscale.environments.evaluation.metrics import build_report
from envscale.environments.evaluation.verdict import AgentScore, learning_verdict, verdict_from_rows
from envscale.tasks.evaluate import report_rows
from tests.support.trials import trial


def _report(label: str, passes: list[bool], *, calls: int = 1, errors: int = 0):
    """One trial per task (k = 1), tasks in one held-out domain."""
    trials = [trial(f"t{i}", 0, p, tool_calls=calls, error_calls=errors) for i, p in enumerate(passes)]
    return build_report(trials, label=label, k=1, seed=0, task_ids=[f"t{i}" for i in range(len(passes))])


def _verdict(base: list[bool], tuned: list[bool], **tuned_calls):
    rows = report_rows([_report("base:smollm2", base, calls=0), _report("models:/a/1", tuned, **tuned_calls)])
    return verdict_from_rows(rows)


def test_gain_is_printed_with_both_numbers_and_the_task_count():
    v = _verdict([False] * 8, [True] * 5 + [False] * 3)
    assert v.gained
    assert v.line == "learned: base pass^1 0.000 → fine-tuned 0.625 on 8 held-out tasks"


def test_a_gain_on_few_tasks_says_they_are_too_few():
    v = _verdict([False] * 2, [True, False])
    assert v.gained and "too few" in v.line


def test_equal_scores_are_no_gain_and_say_why():
    v = _verdict([False] * 8, [False] * 8, calls=0)
    assert not v.gained
    assert v.line.startswith("NO GAIN: base pass^1 0.000 → fine-tuned 0.000 on 8 held-out tasks")
    assert "no tool calls" in v.line

    erring = _verdict([False] * 8, [False] * 8, calls=2, errors=2)
    assert "100% of its tool calls failed" in erring.line

    valid = _verdict([True] + [False] * 7, [True] + [False] * 7, calls=1, errors=0)
    assert not valid.gained and "miss the gold state" in valid.line


def test_a_regression_is_no_gain():
    v = _verdict([True] * 4 + [False] * 4, [True] * 2 + [False] * 6)
    assert not v.gained
    assert "regression" in v.line and "0.500 → fine-tuned 0.250" in v.line


def test_without_a_base_evaluation_there_is_nothing_to_compare():
    rows = report_rows([_report("models:/a/1", [True] * 8)])
    v = verdict_from_rows(rows)
    assert not v.gained and "compare_base" in v.line
    assert not learning_verdict(AgentScore(label="base:x", pass_1=0.0, n_tasks=8), None).gained
    empty = learning_verdict(
        AgentScore(label="base:x", pass_1=0.0, n_tasks=0), AgentScore(label="m", pass_1=0.0, n_tasks=0)
    )
    assert empty.line == "NO GAIN: no held-out tasks were evaluated"
