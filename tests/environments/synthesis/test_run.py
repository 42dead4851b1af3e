"""Resumable synthesis: a dead endpoint fails clearly, keeps finished work; a rerun completes without duplicates."""

from __future__ import annotations

import pytest

from envscale.config import EndpointSettings, LLMSettings, SynthesizeSettings
from envscale.environments.synthesis import store
from envscale.environments.synthesis.run import synthesize_environments
from envscale.environments.synthesis.sample_env import register_sample_env
from envscale.llm import EndpointDead
from envscale.llm import standin as s
from envscale.warehouse import open_warehouse

_KEYS = {"trajectories": "trajectory_id", "blueprints": "blueprint_id", "tasks": "task_id"}


def _count(wh, table):
    with wh.connect() as con:
        return con.execute(f"SELECT count(*), count(DISTINCT {_KEYS[table]}) FROM {table}").fetchone()


def test_dead_endpoint_keeps_finished_work_and_rerun_resumes_without_duplicates(home):
    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    settings = SynthesizeSettings(
        blueprints_per_environment=5, attempts_per_blueprint=2, episodes_in_flight=2
    )
    served = {"n": 0}

    def dies_after_some(request):
        served["n"] += 1
        return s.tool_then_answer(request) if served["n"] <= 8 else s.error(500, message="overloaded forever")

    with s.StandInServer(dies_after_some) as srv:
        llm = LLMSettings(agent=EndpointSettings(base_url=srv.base_url, max_retries=1))
        with pytest.raises(EndpointDead, match="overloaded forever"):
            synthesize_environments(
                wh, [manifest], home.environments, settings=settings, llm=llm, run_id="run-1"
            )
    first, distinct = _count(wh, "trajectories")
    assert 0 < first < 10 and first == distinct
    assert _count(wh, "blueprints")[0] >= 5 and _count(wh, "tasks")[0] == 5

    with s.StandInServer(s.tool_then_answer) as srv:
        llm = LLMSettings(agent=EndpointSettings(base_url=srv.base_url))
        report = synthesize_environments(
            wh, [manifest], home.environments, settings=settings, llm=llm, run_id="run-2"
        )
        assert report.skipped_existing == first and report.played == 10 - first
        again = synthesize_environments(
            wh, [manifest], home.environments, settings=settings, llm=llm, run_id="run-3"
        )
        assert again.played == 0 and srv.served == 2 * (10 - first)
    total, distinct = _count(wh, "trajectories")
    assert total == distinct == 10
    trajectories = store.load_trajectories(wh)
    assert {(t.blueprint_id, t.attempt) for t in trajectories} == {
        (b.blueprint_id, a) for b in store.load_blueprints(wh, manifest.env_id) for a in range(2)
    }


def test_reverse_mode_needs_no_endpoint(home):
    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    settings = SynthesizeSettings(blueprints_per_environment=3, mode="reverse")
    report = synthesize_environments(
        wh, [manifest], home.environments, settings=settings, llm=LLMSettings(), run_id="r"
    )
    assert report.played == 3 and set(report.by_domain_termination) == {("sample_shop", "reverse")}
    assert {t.mode for t in store.load_trajectories(wh)} == {"reverse"}
