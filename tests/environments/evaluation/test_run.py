"""Playing a task set against a real HTTP endpoint (the stand-in) on a real environment, judged."""

from __future__ import annotations

import pytest

from envscale.config import EndpointSettings
from envscale.environments.evaluation.run import evaluate_task_set
from tests.support import standin
from tests.support.oracle import oracle_responder

SCRIPTED_USER = EndpointSettings(mode="scripted")


def _run(server, task_set, k=2, **kw):
    agent = EndpointSettings(
        base_url=server.base_url, model=kw.pop("model", "agent"), max_retries=0, timeout_s=10
    )
    return evaluate_task_set(task_set, agent=agent, user=SCRIPTED_USER, k=k, seed=0, label="test", **kw)


def test_oracle_passes_everything_and_a_quitter_passes_nothing(shop_tasks, tmp_path):
    assert len(shop_tasks.tasks) >= 3
    with standin.StandInServer(oracle_responder(shop_tasks.tasks)) as server:
        report = _run(server, shop_tasks, trajectories_path=tmp_path / "trials.jsonl")
    assert report.overall.pass_1 == 1.0 and report.overall.pass_k == 1.0
    assert report.overall.db_match_rate == 1.0 and report.overall.error_call_rate == 0.0
    gold_calls = sum(t.blueprint.n_calls for t in shop_tasks.tasks) * 2
    assert report.overall.avg_tool_calls == pytest.approx(gold_calls / report.overall.n_trials)
    assert len((tmp_path / "trials.jsonl").read_text().splitlines()) == 2 * len(shop_tasks.tasks)

    with standin.StandInServer(oracle_responder(shop_tasks.tasks, succeeds=lambda r: False)) as server:
        report = _run(server, shop_tasks)
    assert report.overall.pass_1 == 0.0
    read_only = [t for t in report.trials if t.read_only]
    # A quitter leaves read-only state untouched: only exact match catches it.
    assert read_only and all(t.db_match and t.exact_match is False for t in read_only)
    assert report.overall.exact_match_rate == 0.0


def test_seeds_make_pass_k_differ_from_pass_1(shop_tasks):
    # Succeeds on even seeds only: trial 0 (seed 0) passes, trial 1 (seed 1) fails.
    policy = oracle_responder(shop_tasks.tasks, succeeds=lambda r: r.get("seed", 0) % 2 == 0)
    with standin.StandInServer(policy) as server:
        report = _run(server, shop_tasks, k=2)
    assert report.overall.pass_1 == pytest.approx(0.5)
    assert report.overall.pass_k == 0.0 and report.overall.pass_hat == {1: 0.5, 2: 0.0}
    assert {t.attempt: t.passed for t in report.trials if t.task_id == shop_tasks.tasks[0].task_id} == {
        0: True,
        1: False,
    }


def test_wrong_calls_are_error_calls_and_fail(shop_tasks):
    def wrong(request):
        if any(m.get("role") == "tool" for m in request["messages"]):
            return standin.text("Done.")
        return standin.tool_call("get_order", {"order_id": "O-404"})

    with standin.StandInServer(wrong) as server:
        report = _run(server, shop_tasks, k=1)
    assert report.overall.error_call_rate == 1.0 and report.overall.pass_1 == 0.0


def test_a_dead_endpoint_fails_loudly(shop_tasks):
    from envscale.llm.client import EndpointDead

    with standin.StandInServer(lambda r: standin.error(500)) as server, pytest.raises(EndpointDead):
        _run(server, shop_tasks, k=1)


def test_without_base_url_it_refuses(shop_tasks):
    with pytest.raises(ValueError, match="base_url"):
        evaluate_task_set(shop_tasks, agent=EndpointSettings(), user=SCRIPTED_USER, k=1, seed=0, label="x")
