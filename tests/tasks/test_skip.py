"""skip_unchanged: the previous summary only when the newest completed run had the same input hash."""

from __future__ import annotations

from envscale.tasks.run_context import tracked_run
from envscale.tasks.skip import skip_unchanged


def test_skips_only_when_the_newest_completed_run_had_the_same_inputs(home):
    with tracked_run("evaluate", {}) as first:
        assert skip_unchanged(first, "evaluate", "h1") is None  # nothing completed yet
        first.summary["pass^1"] = 0.5
    with tracked_run("evaluate", {}) as second:
        assert skip_unchanged(second, "evaluate", "h1") == {
            "pass^1": 0.5,
            "skipped": True,
            "same_as_run": first.run_id,
        }
    with tracked_run("evaluate", {}) as third:
        assert skip_unchanged(third, "evaluate", "h2") is None  # other inputs
        third.summary["pass^1"] = 0.7
    with tracked_run("evaluate", {}) as fourth:
        assert skip_unchanged(fourth, "evaluate", "h1") is None  # h1 is no longer the newest
        assert skip_unchanged(fourth, "promote", "h2") is None  # another flow's runs do not count
