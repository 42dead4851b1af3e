"""What a stage adds to its `runs` row and reads from other runs."""

from __future__ import annotations

from envscale.environments.store.runs import latest_summary, link_flow_run, record_input_hash
from envscale.warehouse import open_warehouse


def test_run_extras_are_stored_and_the_newest_completed_summary_is_read(home) -> None:
    wh = open_warehouse(home.warehouse)
    assert latest_summary(wh, "evaluate") is None
    first = wh.start_run("evaluate", {})
    wh.finish_run(first, "completed", {"table": [{"model": "a"}]})
    second = wh.start_run("evaluate", {})
    link_flow_run(wh, second, "flow-run-1")
    record_input_hash(wh, second, "h1")
    wh.finish_run(second, "failed", {"table": [{"model": "b"}]})  # a failed run is not read
    assert latest_summary(wh, "evaluate") == {"table": [{"model": "a"}]}
    assert latest_summary(wh, "promote") is None
    assert wh.last_completed_run("evaluate", "h1") is None  # the newest completed run had no hash
    third = wh.start_run("evaluate", {})
    record_input_hash(wh, third, "h1")
    wh.finish_run(third, "completed", {"table": []})
    assert wh.last_completed_run("evaluate", "h1") == {"run_id": third, "summary": {"table": []}}
    with wh.connect(read_only=True) as con:
        row = con.execute(
            "SELECT prefect_flow_run_id, input_hash FROM runs WHERE run_id = ?", [second]
        ).fetchone()
    assert row == ("flow-run-1", "h1")
