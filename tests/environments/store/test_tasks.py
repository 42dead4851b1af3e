"""gold_calls: the calls of the blueprint behind a stored task, or None when the task is unknown."""

from __future__ import annotations

from envscale.environments.store.tasks import gold_calls
from envscale.warehouse import open_warehouse


def test_gold_calls_of_a_stored_task(tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    calls = [{"name": "cancel_order", "arguments": {"order_id": "o1"}}]
    wh.insert(
        "blueprints",
        [
            {
                "blueprint_id": "b1",
                "env_id": "e1",
                "calls": calls,
                "read_only": False,
                "n_calls": 1,
                "gold_state_hash": "h",
                "status": "kept",
                "lineage_hash": "l",
            }
        ],
    )
    wh.insert(
        "tasks",
        [
            {
                "task_id": "t1",
                "blueprint_id": "b1",
                "env_id": "e1",
                "instruction": "Cancel order o1.",
                "writer": "template",
                "lineage_hash": "l",
            },
            {
                "task_id": "t2",
                "blueprint_id": "b-gone",
                "env_id": "e1",
                "instruction": "?",
                "writer": "template",
                "lineage_hash": "l",
            },
        ],
    )
    assert gold_calls(wh, "t1") == calls
    assert gold_calls(wh, "t2") is None  # its blueprint is missing
    assert gold_calls(wh, "t-unknown") is None
