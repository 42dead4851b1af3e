"""The evaluate flow on τ²-bench (issue 17 item 3): an empty home, τ² tasks only, pass^k per domain."""

from __future__ import annotations

import pytest

from envscale.environments.evaluation.tau2_tasks import import_tau2_tasks
from tests.support import standin
from tests.support.oracle import oracle_responder
from tests.support.tau2_fixture import write_domains


@pytest.mark.slow
def test_evaluate_tau2_reports_per_domain_with_the_scripted_user_marked(prefect_harness, home, tmp_path):
    from envscale.flows.registry import stage

    data = write_domains(tmp_path / "domains")
    # The same draw the flow makes (same seed, split and limit): the oracle plays their gold calls.
    tasks = import_tau2_tasks(data, tmp_path / "envs", [], split="train", limit=8, seed=0).tasks
    evaluate = stage("evaluate").load()
    policy = oracle_responder(tasks, succeeds=lambda r: r.get("seed", 0) % 2 == 0)
    with standin.StandInServer(policy) as server:
        out = evaluate(
            base_url=server.base_url,
            model_name="stand-in",
            k=2,
            tau2=[],
            tau2_data=str(data),
            tau2_split="train",
        )
    assert out["tasks"] == 3  # airline 2 + retail 1 train tasks, nothing held out needed
    assert out["pass_1"] == 0.5 and out["pass_k"] == 0.0
    assert out["user_simulator"].startswith("scripted")
    assert out["not_judged"] == 1  # airline task 1's natural-language assertion

    with standin.StandInServer(oracle_responder(tasks)) as server:
        again = evaluate(
            base_url=server.base_url,
            model_name="stand-in",
            k=1,
            tau2=["retail"],
            tau2_data=str(data),
            tau2_split="train",
        )
    assert again["tasks"] == 1 and again["pass_1"] == 1.0


@pytest.mark.slow
def test_evaluate_tau2_telecom_plays_both_sides_through_the_flow(prefect_harness, home, tmp_path):
    from envscale.flows.registry import stage
    from tests.environments.evaluation.test_tau2_telecom_eval import _agent
    from tests.support.tau2_fixture import write_telecom

    data = write_telecom(tmp_path / "domains")
    tasks = import_tau2_tasks(data, tmp_path / "envs", ["telecom"], split=None, limit=10, seed=0)
    evaluate = stage("evaluate").load()
    with standin.StandInServer(_agent(tasks)) as server:
        out = evaluate(
            base_url=server.base_url, model_name="stand-in", k=1, tau2=["telecom"], tau2_data=str(data)
        )
    assert out["tasks"] == 1 and out["pass_1"] == 1.0  # the test split: one task, the user fixed its phone
    with standin.StandInServer(_agent(tasks, tell_user=False)) as server:
        silent = evaluate(
            base_url=server.base_url, model_name="stand-in", k=1, tau2=["telecom"], tau2_data=str(data)
        )
    assert silent["pass_1"] == 0.0  # the agent's calls alone do not fix a phone
