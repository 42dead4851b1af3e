"""outcome_text: the funnel and the newest completed evaluation's table (what `envscale pipeline` ends with)."""

from __future__ import annotations

from envscale.tasks.evaluate import outcome_text
from envscale.warehouse import open_warehouse


def test_outcome_shows_the_newest_completed_evaluation(home) -> None:
    wh = open_warehouse(home.warehouse)
    assert "(no trajectories)" in outcome_text(wh) and "(no evaluation)" in outcome_text(wh)
    for model, status in (("base", "completed"), ("broken", "failed")):
        run_id = wh.start_run("evaluate", {})
        wh.finish_run(run_id, status, {"table": [{"model": model, "pass^1": 0.5}]})
    text = outcome_text(wh)
    assert "evaluation (held-out environments)" in text
    assert "base" in text and "pass^1" in text and "broken" not in text
