"""Evaluation plots (matplotlib, headless): pass^k vs k, and accuracy vs number of gold calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envscale.environments.evaluation.records import EvalReport


def plot_pass_k(reports: list[EvalReport], path: Path) -> Path:
    """pass^k against k: one line per report (overall) and dashed lines per domain of the first report."""
    return _save(pass_k_figure(reports), path)


def pass_k_figure(reports: list[EvalReport]) -> Any:
    """The pass^k figure (matplotlib Figure); each agent styled apart (``series_style``)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, report in enumerate(reports):
        ks = sorted(report.overall.pass_hat)
        label = f"{_short(report.label)}: pass^1 {report.overall.pass_1:.3f}"
        ax.plot(ks, [report.overall.pass_hat[j] for j in ks], label=label, **series_style(report.label, i))
    if len(reports) == 1:
        for domain, m in reports[0].per_domain.items():
            ks = sorted(m.pass_hat)
            ax.plot(ks, [m.pass_hat[j] for j in ks], linestyle="--", marker=".", label=domain[:30])
    ax.set_xlabel("k")
    ax.set_ylabel("pass^k")
    ax.set_ylim(-0.05, 1.05)  # room for markers at 0 and 1
    ax.set_xticks(range(1, max(r.k for r in reports) + 1))
    ax.set_title("pass^k vs k")
    ax.legend(fontsize=7)
    return fig


def plot_accuracy_by_calls(reports: list[EvalReport], path: Path) -> Path:
    """Trial pass rate against the number of calls in the gold blueprint (long-horizon analysis)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, report in enumerate(reports):
        points = sorted(report.overall.accuracy_by_calls.items())
        ax.plot(
            [n for n, _ in points],
            [v for _, v in points],
            label=_short(report.label),
            **series_style(report.label, i),
        )
    ax.set_xlabel("tool calls in the gold blueprint")
    ax.set_ylabel("trial pass rate")
    ax.set_ylim(-0.05, 1.05)  # room for markers at 0 and 1
    ax.set_title("accuracy vs number of calls")
    ax.legend(fontsize=7)
    return _save(fig, path)


def series_style(label: str, index: int) -> dict[str, Any]:
    """Line style of one agent: the base model dashed with large hollow squares drawn on top,
    so it stays visible when the fine-tuned line lies on it (both at 0.0, say)."""
    if label.startswith("base:"):
        return {
            "color": "tab:gray",
            "linestyle": "--",
            "marker": "s",
            "markersize": 10,
            "markerfacecolor": "none",
            "markeredgewidth": 1.5,
            "zorder": 3,
        }
    colors = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")
    return {
        "color": colors[index % len(colors)],
        "linestyle": "-",
        "marker": "o",
        "markersize": 5,
        "zorder": 2,
    }


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def _short(label: str, n: int = 40) -> str:
    return label if len(label) <= n else "…" + label[-(n - 1) :]
