"""outcome_tables: the funnel and the newest completed evaluation's table (what `envscale pipeline` ends with)."""

from __future__ import annotations

from envscale.tasks.evaluate import outcome_tables
from envscale.warehouse import open_warehouse


def test_outcome_shows_the_newest_completed_evaluation(home) -> None:
    wh = open_warehouse(home.warehouse)
    assert [rows for _, rows in outcome_tables(wh)] == [[], []]  # no trajectories, no evaluation
    for model, status in (("base", "completed"), ("broken", "failed")):
        run_id = wh.start_run("evaluate", {})
        wh.finish_run(run_id, status, {"table": [{"model": model, "pass^1": 0.5}]})
    (funnel_title, _), (eval_title, table) = outcome_tables(wh)
    assert funnel_title == "validation funnel" and eval_title == "evaluation (held-out environments)"
    assert table == [{"model": "base", "pass^1": 0.5}]  # the completed run, not the failed one
