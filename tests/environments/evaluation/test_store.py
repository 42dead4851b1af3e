"""Evaluation reports and promotion decisions in a real warehouse: keyed, replaced, read back, listed newest first."""

from __future__ import annotations

import time

from envscale.environments.evaluation.records import Decision
from envscale.environments.evaluation.store import (
    eval_key,
    latest_evaluation_of,
    load_report,
    recent_evaluations,
    recent_promotions,
    save_decision,
    save_report,
)
from envscale.warehouse import open_warehouse
from tests.support.eval_trials import report


def test_eval_key_follows_version_tasks_and_settings():
    key = eval_key("agent/1", "h", {"max_turns": 8})
    assert key == eval_key("agent/1", "h", {"max_turns": 8})
    assert (
        len({key, eval_key("agent/2", "h", {"max_turns": 8}), eval_key("agent/1", "h", {"max_turns": 9})})
        == 3
    )


def test_reports_round_trip_and_list_newest_first(tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    assert load_report(wh, "missing") is None and latest_evaluation_of(wh, "agent/1") is None
    first = report("agent v1", "agent/1")
    save_report(wh, "ev1", first, run_id="r1", mlflow_run_id="m1")
    save_report(wh, "ev1", first, run_id="r1", mlflow_run_id="m2")  # replaced, not doubled
    time.sleep(0.01)
    save_report(wh, "ev2", report("agent v2", "agent/2"), run_id="r2", mlflow_run_id=None)
    assert load_report(wh, "ev1") == (first, "m2")
    assert [r["label"] for r in recent_evaluations(wh)] == ["agent v2", "agent v1"]
    assert latest_evaluation_of(wh, "agent/1")["pass_1"] == 0.75


def test_decisions_are_keyed_by_run_and_models(tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    decision = Decision(
        promoted=True, reason="better", challenger_pass_1=0.8, margin=0.0, regression_tolerance=0.1, floor=0.1
    )
    kwargs = {"registered_model": "agent", "challenger": "agent/2", "champion": None, "task_set_hash": "h"}
    first = save_decision(wh, decision, run_id="r1", **kwargs)
    assert save_decision(wh, decision, run_id="r1", **kwargs) == first
    assert save_decision(wh, decision, run_id="r2", **kwargs) != first
    rows = recent_promotions(wh)
    assert len(rows) == 2 and all(r["promoted"] and r["challenger"] == "agent/2" for r in rows)
