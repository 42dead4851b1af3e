"""Synthesis records: content ids, warehouse rows that read back as equal records, and the refusal flag."""

from __future__ import annotations

import json

from envscale.environments.synthesis.records import Blueprint, Goal, GoldCall, Task, Trajectory, UserFact

CALLS = (
    GoldCall(
        name="cancel_order", arguments={"order_id": "o1"}, kind="write", ok=True, result={"status": "x"}
    ),
)


def _blueprint(**over) -> Blueprint:
    fields = {
        "blueprint_id": Blueprint.make_id("e1", CALLS),
        "env_id": "e1",
        "calls": CALLS,
        "read_only": False,
        "gold_state_hash": "h",
    }
    return Blueprint(**{**fields, **over})


def test_blueprint_ids_follow_env_calls_and_goals():
    assert Blueprint.make_id("e1", CALLS) == Blueprint.make_id("e1", list(CALLS))
    assert Blueprint.make_id("e1", CALLS) != Blueprint.make_id("e2", CALLS)
    goal = Goal(
        tool="cancel_order", action="update", arguments={"order_id": "o1"}, refused="shipped orders stay"
    )
    assert Blueprint.make_id("e1", (), (goal,)) != Blueprint.make_id("e1", ())
    assert _blueprint(goals=(goal,)).refusal and not _blueprint().refusal


def test_a_warehouse_row_reads_back_as_the_same_blueprint():
    fact = UserFact(name="order_id", value="o1", kind="receipt")
    blueprint = _blueprint(planner="goal", facts=(fact,), gold_diff=({"table": "orders", "op": "update"},))
    row = blueprint.warehouse_row("run-1")
    assert row["n_calls"] == 1 and row["run_id"] == "run-1"
    stored = {
        k: json.dumps(v) if k in ("calls", "gold_diff", "plan") else v for k, v in row.items()
    }  # JSON as text
    assert Blueprint.from_row(stored) == blueprint


def test_task_and_trajectory_ids():
    task = Task(task_id="t", blueprint_id="b", env_id="e", instruction="Do it.", writer="llm")
    assert (
        task.warehouse_row(None)["lineage_hash"]
        != task.model_copy(update={"writer": "template"}).warehouse_row(None)["lineage_hash"]
    )
    ids = {
        Trajectory.make_id("e", "b", attempt, mode) for attempt in (0, 1) for mode in ("forward", "reverse")
    }
    assert len(ids) == 4
