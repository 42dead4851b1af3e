"""What a finished run ends with: the learning verdict and one held-out task with its trajectory.

Reads the latest completed evaluation (its summary in ``runs``, its trials files in
the run folder); the core (``evaluation.verdict``, ``evaluation.transcript``) words it.
"""

from __future__ import annotations

import json
from typing import Any

from envscale.environments.evaluation.records import TrialResult
from envscale.environments.evaluation.transcript import Played, example_lines, pick_example
from envscale.environments.evaluation.verdict import Verdict, verdict_from_rows
from envscale.environments.store.runs import latest_completed
from envscale.environments.store.tasks import gold_calls
from envscale.home import Home
from envscale.tasks.evaluate import trials_slug


def learning_verdict_of(summary: dict[str, Any]) -> Verdict:
    """The verdict of an evaluate run's table (base vs the model under test)."""
    return verdict_from_rows(summary.get("table", []))


def load_played(home: Home, run_id: str, label: str) -> dict[str, Played]:
    """task id → (first trial, its messages) of one agent, from its trials files.

    A report reused from an earlier run left no files in this run's folder: the newest
    run folder that holds that agent's files is read instead.
    """
    pattern = f"trials-{trials_slug(label)}-*.jsonl"
    files = sorted((home.runs / run_id).glob(pattern))
    if not files:
        found = sorted(home.runs.glob(f"*/{pattern}"), key=lambda p: p.stat().st_mtime)
        files = [p for p in found if p.parent == found[-1].parent] if found else []
    out: dict[str, Played] = {}
    for path in files:
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            trial = TrialResult.model_validate(record["trial"])
            if trial.task_id not in out or trial.attempt < out[trial.task_id][0].attempt:
                out[trial.task_id] = (trial, record.get("messages") or [])
    return out


def example_text(home: Home, warehouse: Any, run_id: str, summary: dict[str, Any]) -> str | None:
    """One held-out task with the model under test's trajectory and verdict, or None without trials."""
    agents = [a["label"] for a in summary.get("agents", [])]
    tuned_labels = [a for a in agents if not a.startswith("base:")]
    if not tuned_labels:
        return None
    tuned = load_played(home, run_id, tuned_labels[-1])
    base_label = next((a for a in agents if a.startswith("base:")), None)
    base = load_played(home, run_id, base_label) if base_label else {}
    task_id = pick_example(tuned, base)
    if task_id is None:
        return None
    lines = example_lines(
        task_id, tuned, base, tuned_label=tuned_labels[-1], gold_calls=gold_calls(warehouse, task_id)
    )
    return "\n".join(lines)


def closing_text(home: Home, warehouse: Any) -> str | None:
    """The example task, then the verdict line (last, where the eye lands); None before any evaluation."""
    found = latest_completed(warehouse, "evaluate")
    if found is None:
        return None
    run_id, summary = found
    parts = []
    example = example_text(home, warehouse, run_id, summary)
    if example:
        parts += [example, ""]
    parts.append(learning_verdict_of(summary).line)
    return "\n".join(parts)
