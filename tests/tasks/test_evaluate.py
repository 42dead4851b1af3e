"""tasks/evaluate.py: how many trials play at once (issue 20 item 10: a model served here on a CPU gets 2, not 8),
and outcome_tables (the funnel and the newest completed evaluation's table, what `envscale pipeline` ends with)."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from envscale.config import Settings
from envscale.tasks.evaluate import AgentSpec, agent_max_tokens, outcome_tables, trials_in_flight
from envscale.warehouse import open_warehouse


def _ctx(agent=None, **evaluate):
    settings = Settings()
    if agent is not None:
        settings = settings.model_copy(update={"llm": settings.llm.model_copy(update={"agent": agent})})
    return SimpleNamespace(
        settings=settings.model_copy(update={"evaluate": settings.evaluate.model_copy(update=evaluate)})
    )


def test_the_default_follows_where_the_model_is_served():
    served_here = AgentSpec(label="models:/envscale-agent/1", model_uri="models:/envscale-agent/1")
    elsewhere = AgentSpec(label="remote", base_url="http://127.0.0.1:9/v1", model_name="m")
    expected_here = 8 if torch.cuda.is_available() else 2
    assert trials_in_flight(served_here, _ctx()) == expected_here
    assert trials_in_flight(elsewhere, _ctx()) == 8  # an endpoint the user runs: its own capacity
    assert trials_in_flight(served_here, _ctx(serving_url="http://127.0.0.1:9/v1")) == 8
    assert trials_in_flight(served_here, _ctx(episodes_in_flight=5)) == 5  # a chosen value is kept


def test_a_model_served_here_on_a_cpu_writes_at_most_160_tokens_a_turn_unless_set():
    from envscale.config import EndpointSettings

    served_here = AgentSpec(label="models:/envscale-agent/1", model_uri="models:/envscale-agent/1")
    elsewhere = AgentSpec(label="remote", base_url="http://127.0.0.1:9/v1", model_name="m")
    assert agent_max_tokens(served_here, _ctx()) == (512 if torch.cuda.is_available() else 160)
    assert agent_max_tokens(elsewhere, _ctx()) == 512
    assert agent_max_tokens(served_here, _ctx(agent=EndpointSettings(max_tokens=400))) == 400  # chosen: kept


def test_outcome_shows_the_newest_completed_evaluation(home) -> None:
    wh = open_warehouse(home.warehouse)
    assert [rows for _, rows in outcome_tables(wh)] == [[], []]  # no trajectories, no evaluation
    for model, status in (("base", "completed"), ("broken", "failed")):
        run_id = wh.start_run("evaluate", {})
        wh.finish_run(run_id, status, {"table": [{"model": model, "pass^1": 0.5}]})
    (funnel_title, _), (eval_title, table) = outcome_tables(wh)
    assert funnel_title == "validation funnel" and eval_title == "evaluation (held-out environments)"
    assert table == [{"model": "base", "pass^1": 0.5}]  # the completed run, not the failed one
