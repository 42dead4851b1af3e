"""Resumable synthesis: a dead endpoint fails clearly, keeps finished work; a rerun completes without duplicates."""

from __future__ import annotations

import pytest

from envscale.config import EndpointSettings, LLMSettings, SynthesizeSettings
from envscale.environments.synthesis import store
from envscale.environments.synthesis.run import synthesize_environments
from envscale.environments.synthesis.sample_env import register_sample_env
from envscale.llm import EndpointDead, EndpointRefused
from envscale.warehouse import open_warehouse
from tests.support import standin as s

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


def _refusing(request):
    return s.error(401, message="Incorrect API key provided")


def test_refusing_endpoint_fails_the_run_stores_nothing_and_a_rerun_writes_everything(home):
    # A wrong key is a configuration error: the run fails on it, and nothing it cut short is stored
    # (before, every episode ended 'repeated_failure' on 'http 401' issues, and a rerun skipped them).
    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    settings = SynthesizeSettings(blueprints_per_environment=3, attempts_per_blueprint=2)
    with s.StandInServer(_refusing) as srv:
        llm = LLMSettings(agent=EndpointSettings(base_url=srv.base_url, max_retries=3))
        with pytest.raises(EndpointRefused, match=r"endpoint refused: http 401: Incorrect API key provided"):
            synthesize_environments(
                wh, [manifest], home.environments, settings=settings, llm=llm, run_id="run-1"
            )
    assert _count(wh, "trajectories")[0] == 0

    with s.StandInServer(s.tool_then_answer) as srv:
        llm = LLMSettings(agent=EndpointSettings(base_url=srv.base_url))
        report = synthesize_environments(
            wh, [manifest], home.environments, settings=settings, llm=llm, run_id="run-2"
        )
    assert report.skipped_existing == 0 and report.played == 6
    assert {t.termination for t in store.load_trajectories(wh)} == {"user_stop"}


def test_a_refusing_task_writer_fails_before_any_task_is_stored(home):
    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    settings = SynthesizeSettings(blueprints_per_environment=2, mode="reverse")
    with s.StandInServer(_refusing) as srv:
        llm = LLMSettings(task_writer=EndpointSettings(mode="llm", base_url=srv.base_url))
        with pytest.raises(EndpointRefused, match=r"check llm\.task_writer\.api_key_env / model / base_url"):
            synthesize_environments(wh, [manifest], home.environments, settings=settings, llm=llm, run_id="r")
    assert _count(wh, "tasks")[0] == 0 and _count(wh, "trajectories")[0] == 0


def test_mapped_workers_hand_back_the_refusal_as_a_refusal(home):
    # play_jobs runs on Dask/Ray workers; its error must keep its kind so the flow exits as a refusal.
    from envscale.environments.synthesis.intents import template_task
    from envscale.environments.synthesis.interplay import Job
    from envscale.environments.synthesis.run import play_jobs, sample_environment

    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    settings = SynthesizeSettings(blueprints_per_environment=2)
    kept, _ = sample_environment(manifest, home.environments, settings)
    jobs = [Job(task=template_task(bp), blueprint=bp) for bp in kept]
    with s.StandInServer(_refusing) as srv:
        llm = LLMSettings(agent=EndpointSettings(base_url=srv.base_url))
        done, error = play_jobs(
            jobs, {manifest.env_id: manifest}, home.environments, settings=settings, llm=llm
        )
    assert done == [] and isinstance(error, EndpointRefused) and "http 401" in str(error)


def test_trajectories_stored_from_refused_requests_are_replayed_and_genuine_failures_kept(home):
    # What earlier versions stored against a misconfigured endpoint: episodes ended by 'http 401/403/404'
    # (or an unknown model's 400) recorded as unusable replies. A rerun must play them again, not skip
    # them; an episode that failed on the model's own broken replies is model behaviour and stays.
    from envscale.environments.synthesis.records import Issue
    from envscale.integrity import check_warehouse

    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    settings = SynthesizeSettings(blueprints_per_environment=5)
    with s.StandInServer(s.tool_then_answer) as srv:
        llm = LLMSettings(agent=EndpointSettings(base_url=srv.base_url))
        synthesize_environments(wh, [manifest], home.environments, settings=settings, llm=llm, run_id=None)
    good = sorted(store.load_trajectories(wh), key=lambda t: t.trajectory_id)
    assert len(good) == 5

    def legacy(t, code, detail, termination="repeated_failure"):
        issues = tuple(Issue(turn=i, code=code, detail=detail) for i in range(3))
        return t.model_copy(update={"termination": termination, "issues": issues, "messages": t.messages[:2]})

    refused = [
        legacy(good[0], "invalid_reply", "http 401: Error code: 401 - Incorrect API key provided: sk-abc"),
        legacy(good[1], "invalid_reply", "http 404: 404: Not Found"),
        legacy(
            good[2],
            "invalid_reply",
            "http 400: Error code: 400 - The model `gpt-nope` does not exist or you do not have access to it.",
        ),
        legacy(
            good[3],
            "user_invalid_reply",
            "user simulator reply unusable (http 403: forbidden); scripted fallback",
            "user_stop",
        ),
    ]
    genuine = legacy(good[4], "invalid_reply", "malformed reply: not JSON (unexpected end of data)")
    wh.insert("trajectories", [t.warehouse_row(None) for t in [*refused, genuine]], on_conflict="replace")

    with s.StandInServer(s.tool_then_answer) as srv:
        llm = LLMSettings(agent=EndpointSettings(base_url=srv.base_url))
        report = synthesize_environments(
            wh, [manifest], home.environments, settings=settings, llm=llm, run_id=None
        )
    assert report.played == 4 and report.skipped_existing == 1
    after = {t.trajectory_id: t for t in store.load_trajectories(wh)}
    assert _count(wh, "trajectories") == (5, 5)
    for t in refused:
        assert after[t.trajectory_id].termination == "user_stop" and not after[t.trajectory_id].issues
    assert after[genuine.trajectory_id].termination == "repeated_failure"  # kept as recorded
    assert after[genuine.trajectory_id].issues == genuine.issues
    assert store.refused_trajectory_ids(wh) == set()
    assert check_warehouse(wh) == []


def test_progress_reports_episodes_done_in_flight_and_tokens(home):
    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    settings = SynthesizeSettings(blueprints_per_environment=4, episodes_in_flight=3)
    calls: list[tuple[int, int, dict]] = []
    with s.StandInServer(s.tool_then_answer) as srv:
        llm = LLMSettings(agent=EndpointSettings(base_url=srv.base_url))
        synthesize_environments(
            wh,
            [manifest],
            home.environments,
            settings=settings,
            llm=llm,
            run_id="r",
            progress=lambda done, total, **extra: calls.append((done, total, extra)),
        )
    assert calls[0][:2] == (0, 4) and calls[-1][:2] == (4, 4)
    done_calls = calls[1:]
    assert [c[0] for c in done_calls] == [1, 2, 3, 4]
    assert all(0 <= c[2]["in_flight"] <= 3 for c in done_calls)  # never more than episodes_in_flight
    assert done_calls[-1][2]["in_flight"] == 0
    tokens = [c[2]["tokens"] for c in done_calls]
    assert tokens == sorted(tokens) and tokens[-1] > 0  # the standin reports usage per reply


def test_default_settings_without_an_agent_endpoint_synthesize_in_reverse(home):
    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    report = synthesize_environments(
        wh,
        [manifest],
        home.environments,
        settings=SynthesizeSettings(blueprints_per_environment=2),
        llm=LLMSettings(),
        run_id="r",
    )
    assert report.played == 2 and {t.mode for t in store.load_trajectories(wh)} == {"reverse"}
