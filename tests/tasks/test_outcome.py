"""What a pipeline ends with: one held-out task with its trajectory, then the learning verdict.

A real evaluate flow (Prefect, warehouse, MLflow) against the stand-in endpoint: the
registered version plays the gold calls, the base model gives up, so the closing
text shows a solved task and 'learned: …'; a version that also gives up reads 'NO GAIN'.
"""

from __future__ import annotations

import pytest

from envscale.tasks.outcome import closing_text
from envscale.warehouse import open_warehouse
from tests.support import evaluation_helpers as helpers
from tests.support import standin
from tests.support.oracle import GIVE_UP, oracle_responder


@pytest.mark.slow
def test_closing_text_shows_a_solved_task_and_the_gain(prefect_harness, home, tmp_path, monkeypatch):
    from envscale.flows.evaluate import evaluate
    from envscale.models.tiny import build_tiny_model

    wh = open_warehouse(home.warehouse)
    assert closing_text(home, wh) is None  # nothing evaluated yet: nothing to say

    tasks = helpers.seed_heldout_shop(home)
    v1, v2 = helpers.register_tiny_versions(home, build_tiny_model(tmp_path / "tiny"), 2)
    # The serving URL hosts the versions by name and the base model as 'base:<spec>'.
    policy = oracle_responder(tasks, succeeds=lambda r: r["model"] == f"envscale-agent/{v1}")
    with standin.StandInServer(policy) as server:
        monkeypatch.setenv("ENVSCALE_EVALUATE__SERVING_URL", server.base_url)
        out = evaluate(model=f"models:/envscale-agent/{v1}", k=1, compare_base=True)
        assert out["verdict"].startswith(f"learned: base pass^1 0.000 → fine-tuned 1.000 on {len(tasks)}")
        text = closing_text(home, wh)
        lines = text.splitlines()
        assert lines[-1] == out["verdict"]  # the verdict is the last line
        assert f"played by models:/envscale-agent/{v1}" in lines[0]
        shown = next(t for t in tasks if t.task_id[:12] in lines[0])
        assert f"  user   : {shown.task.instruction}" in lines
        first_call = shown.blueprint.calls[0].name
        assert any(line.startswith(f"  agent →  {first_call}(") for line in lines)
        assert any(line.startswith("  verdict: PASSED") for line in lines)
        assert any(line.startswith(f"  gold calls: {first_call}(") for line in lines)
        assert any(line.startswith("  base model on the same task: FAILED") for line in lines)
        assert f"    it replied: {GIVE_UP}"[:60] in text

        out2 = evaluate(model=f"models:/envscale-agent/{v2}", k=1, compare_base=True)
    assert out2["verdict"].startswith("NO GAIN: base pass^1 0.000 → fine-tuned 0.000")
    assert closing_text(home, wh).splitlines()[-1] == out2["verdict"]
