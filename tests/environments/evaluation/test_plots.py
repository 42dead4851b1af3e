"""The pass^k plot tells the base model from the fine-tuned one even when their lines coincide."""

from __future__ import annotations

from envscale.environments.evaluation.metrics import build_report
from envscale.environments.evaluation.plots import pass_k_figure, plot_accuracy_by_calls, plot_pass_k
from tests.support.trials import trial


def _report(label: str, passes: list[bool]):
    trials = [trial(f"t{i // 2}", i % 2, p) for i, p in enumerate(passes)]
    return build_report(trials, label=label, k=2, seed=0, task_ids=[f"t{i}" for i in range(len(passes) // 2)])


def test_base_and_fine_tuned_are_drawn_apart_when_equal(tmp_path):
    base, tuned = _report("base:smollm2", [False] * 4), _report("models:/envscale-agent/1", [False] * 4)
    fig = pass_k_figure([base, tuned])
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2
    b, t = lines
    assert list(b.get_ydata()) == list(t.get_ydata())  # same values …
    assert b.get_linestyle() != t.get_linestyle() and b.get_marker() != t.get_marker()  # … told apart
    assert b.get_markerfacecolor() == "none" and b.get_zorder() > t.get_zorder()  # hollow, on top
    legend = [x.get_text() for x in fig.axes[0].get_legend().get_texts()]
    assert legend == ["base:smollm2: pass^1 0.000", "models:/envscale-agent/1: pass^1 0.000"]
    assert plot_pass_k([base, tuned], tmp_path / "p.png").stat().st_size > 0
    assert plot_accuracy_by_calls([base, tuned], tmp_path / "a.png").stat().st_size > 0
