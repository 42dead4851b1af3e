"""τ² tasks under test: splits, policy as system prompt, communicate_info, NL assertions not judged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envscale.config import EndpointSettings
from envscale.environments.evaluation.run import evaluate_task_set
from envscale.environments.evaluation.tau2_tasks import import_tau2_tasks
from tests.support import standin
from tests.support.oracle import oracle_responder
from tests.support.tau2_fixture import write_domains


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_domains(tmp_path / "domains")


def _tasks(data: Path, tmp_path: Path, domains=("airline",), split="train", limit=10):
    return import_tau2_tasks(data, tmp_path / "envs", list(domains), split=split, limit=limit, seed=0)


def test_a_split_gives_its_tasks_with_policy_outputs_and_unjudged_assertions(data, tmp_path) -> None:
    train = _tasks(data, tmp_path)
    assert len(train.tasks) == 2 and not train.skipped
    test = _tasks(data, tmp_path, split="test")
    assert len(test.tasks) == 1  # airline's last fixture task is the test split
    assert {t.task.instruction for t in train.tasks}.isdisjoint({t.task.instruction for t in test.tasks})
    by_calls = {t.blueprint.calls[-1].name: t for t in train.tasks}
    booking, change = by_calls["book_reservation"], by_calls["update_reservation_flights"]
    assert booking.system_prompt.startswith("# airline agent policy") and booking.source == "tau2"
    assert booking.outputs == ("HATHAT",) and booking.domain == "tau2_airline"
    assert change.not_judged == ("The agent explains the fare difference.",) and change.outputs == ()
    assert not booking.blueprint.read_only and booking.blueprint.gold_diff  # the booking changed the state
    both = _tasks(data, tmp_path, domains=(), split=None)
    assert {t.domain for t in both.tasks} == {"tau2_airline", "tau2_retail"}


def test_unjudged_reward_bases_and_missing_domains_are_skips_with_reasons(data, tmp_path) -> None:
    tasks_file = data / "retail" / "tasks.json"
    tasks = json.loads(tasks_file.read_text())
    tasks[0]["evaluation_criteria"]["reward_basis"] = ["DB", "NL_ASSERTION"]
    tasks_file.write_text(json.dumps(tasks))
    got = _tasks(data, tmp_path, domains=("retail", "telecom"), split=None)
    reasons = {s.ref: s.reason for s in got.skipped}
    assert "NL_ASSERTION" in reasons["tau2_retail:0"] and "no τ² domain 'telecom'" in reasons["telecom"]
    assert len(got.tasks) == 1


def test_the_oracle_passes_with_the_policy_as_system_prompt_and_a_quitter_fails(data, tmp_path) -> None:
    task_set = _tasks(data, tmp_path, domains=("airline", "retail"), split=None)
    seen: list[str] = []

    def oracle(request):
        seen.append(request["messages"][0]["content"])
        return inner(request)

    inner = oracle_responder(task_set.tasks)
    user = EndpointSettings(mode="scripted")
    with standin.StandInServer(oracle) as server:
        agent = EndpointSettings(base_url=server.base_url, model="agent", max_retries=0, timeout_s=10)
        report = evaluate_task_set(task_set, agent=agent, user=user, k=2, seed=0, label="oracle")
    assert report.overall.pass_1 == 1.0 and set(report.per_domain) == {"tau2_airline", "tau2_retail"}
    assert {s.splitlines()[0] for s in seen} == {"# airline agent policy", "# retail agent policy"}
    quit_ = oracle_responder(task_set.tasks, succeeds=lambda r: False)
    with standin.StandInServer(quit_) as server:
        agent = EndpointSettings(base_url=server.base_url, model="agent", max_retries=0, timeout_s=10)
        report = evaluate_task_set(task_set, agent=agent, user=user, k=1, seed=0, label="quitter")
    writes = [t for t in report.trials if not t.read_only]
    assert writes and not any(t.passed for t in writes)
