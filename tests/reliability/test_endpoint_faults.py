"""Endpoint faults: retries and backoff as configured, unfixable replies marked, finished work never lost.

The stand-in server (a real HTTP server on 127.0.0.1) answers with 429 + Retry-After,
500s, replies slower than the client's timeout, truncated JSON, tool calls with broken
arguments, empty choices, or hangs; synthesis and evaluation run against it for real.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from envscale.config import EndpointSettings, LLMSettings, SynthesizeSettings
from envscale.environments.synthesis import store
from envscale.environments.synthesis.run import synthesize_environments
from envscale.environments.synthesis.sample_env import register_sample_env
from envscale.integrity import check_warehouse
from envscale.llm import EndpointDead, LLMClient
from envscale.warehouse import open_warehouse
from tests.support import standin as s
from tests.support.reliability.faults import MARKED, RETRYABLE, FaultInjector, fault_reply

FAST = {"timeout_s": 0.5, "max_retries": 3}


def _chat(server, **settings):
    async def go():
        async with LLMClient(EndpointSettings(base_url=server.base_url, **settings)) as client:
            started = time.perf_counter()
            result = await client.chat([{"role": "user", "content": "hi"}])
            return result, time.perf_counter() - started, client.usage

    return asyncio.run(go())


@pytest.mark.parametrize("kind", RETRYABLE)
def test_a_retryable_fault_is_retried_and_survived(kind):
    with s.StandInServer() as server:
        server.enqueue(fault_reply(kind, {}, retry_after_s=0.6, slow_s=1.5))
        result, elapsed, usage = _chat(server, **FAST)
    assert result.outcome == "ok" and result.attempts == 2 and usage.retries == 1
    assert server.served >= 2
    if kind == "rate_limit":
        assert elapsed >= 0.6  # Retry-After honoured
    if kind == "timeout":
        assert elapsed >= FAST["timeout_s"]


@pytest.mark.parametrize("kind", ["truncated_json", "empty_choices"])
def test_an_unusable_reply_is_marked_not_retried(kind):
    with s.StandInServer() as server:
        server.enqueue(fault_reply(kind, {}, retry_after_s=0, slow_s=0))
        result, _, usage = _chat(server, **FAST)
    assert result.outcome == "invalid" and result.attempts == 1 and usage.retries == 0
    assert result.error and server.served == 1


@pytest.mark.parametrize("max_retries", [0, 2])
def test_a_persistent_error_is_tried_exactly_as_configured(max_retries):
    with s.StandInServer(lambda r: s.error(500, message="down")) as server:
        result, _, _ = _chat(server, timeout_s=2, max_retries=max_retries)
    assert result.outcome == "dead" and "down" in result.error
    assert server.served == max_retries + 1 == result.attempts


def test_a_hanging_endpoint_is_declared_dead_in_bounded_time():
    injector = FaultInjector(s.echo_responder, hang_after=0)
    with s.StandInServer(injector) as server:
        result, elapsed, _ = _chat(server, timeout_s=0.4, max_retries=1)
    assert result.outcome == "dead" and "timeout" in result.error
    assert elapsed < 0.4 * 2 + 2.0  # two timed-out attempts and one backoff, not an hour


def test_a_429_pauses_every_request_of_the_endpoint():
    """Backoff is shared: after a 429 with Retry-After, the other requests in flight wait too."""
    first = {"done": False}
    arrivals: list[float] = []

    def responder(request):
        arrivals.append(time.monotonic())
        if not first["done"]:
            first["done"] = True
            return s.error(429, retry_after=0.8)
        return s.text("ok")

    async def go():
        async with LLMClient(
            EndpointSettings(base_url=server.base_url, concurrency=1, max_retries=2)
        ) as client:
            return await asyncio.gather(
                *(client.chat([{"role": "user", "content": str(i)}]) for i in range(4))
            )

    with s.StandInServer(responder) as server:
        results = asyncio.run(go())
    assert all(r.outcome == "ok" for r in results)
    assert all(t - arrivals[0] >= 0.8 for t in arrivals[1:])


def _synth(wh, manifest, directory, server, *, attempts=2, blueprints=5, user=None, writer=None, **agent):
    llm = LLMSettings(
        agent=EndpointSettings(base_url=server.base_url, **{**FAST, **agent}),
        **({"user_simulator": user} if user else {}),
        **({"task_writer": writer} if writer else {}),
    )
    settings = SynthesizeSettings(
        blueprints_per_environment=blueprints,
        attempts_per_blueprint=attempts,
        episodes_in_flight=4,
        max_failures=3,
    )
    return synthesize_environments(wh, [manifest], directory, settings=settings, llm=llm, run_id=None)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_synthesis_through_a_faulty_endpoint_finishes_every_episode(home, seed):
    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    injector = FaultInjector(s.tool_then_answer, seed=seed, rate=0.35)
    with s.StandInServer(injector) as server:
        report = _synth(wh, manifest, home.environments, server)
    assert report.played == report.planned == 10  # nothing lost to a fault
    assert sum(injector.injected[k] for k in RETRYABLE) > 0 and sum(injector.injected[k] for k in MARKED) > 0
    usage = report.llm_usage["agent"]
    assert usage["retries"] == sum(
        injector.injected[k] for k in RETRYABLE
    )  # each retried once, as configured
    assert usage["dead"] == 0
    trajectories = store.load_trajectories(wh)
    assert len(trajectories) == 10
    marked = sum(injector.injected[k] for k in MARKED)
    issues = [
        i for t in trajectories for i in t.issues if i.code in ("invalid_reply", "invalid_json_arguments")
    ]
    assert len(issues) == marked  # every unusable reply is recorded on its trajectory
    # what could not be done is marked: an episode that hit 3 broken replies in a row says so
    assert all(t.termination in ("user_stop", "repeated_failure", "turn_limit") for t in trajectories)


@pytest.mark.slow
def test_a_hang_mid_run_fails_clearly_keeps_finished_work_and_resumes(home):
    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    with s.StandInServer(FaultInjector(s.tool_then_answer, rate=0.0, hang_after=9)) as server:
        started = time.perf_counter()
        with pytest.raises(EndpointDead, match="timeout"):
            _synth(wh, manifest, home.environments, server, max_retries=1, timeout_s=0.4)
        assert time.perf_counter() - started < 30
    done = store.trajectory_ids(wh)
    assert 0 < len(done) < 10
    with s.StandInServer(s.tool_then_answer) as server:
        report = _synth(wh, manifest, home.environments, server)
    assert report.skipped_existing == len(done) and report.played == 10 - len(done)
    assert len(store.trajectory_ids(wh)) == 10
    assert check_warehouse(wh) == []


def test_a_broken_task_writer_falls_back_to_the_template_with_the_reason(home):
    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    writer_faults = FaultInjector(
        s.echo_responder, seed=3, rate=1.0, kinds=("truncated_json", "empty_choices")
    )
    with s.StandInServer(writer_faults) as writer, s.StandInServer(s.tool_then_answer) as agent:
        report = _synth(
            wh,
            manifest,
            home.environments,
            agent,
            attempts=1,
            blueprints=4,
            writer=EndpointSettings(mode="llm", base_url=writer.base_url, **FAST),
        )
    assert report.tasks == 4 and report.task_fallbacks == 4 and report.played == 4
    tasks = store.load_tasks(wh, manifest.env_id).values()
    assert all(t.writer == "template" and t.fallback_reason.startswith("invalid_reply") for t in tasks)


def _evaluate(task_set, server, **agent):
    from envscale.environments.evaluation.run import evaluate_task_set

    return evaluate_task_set(
        task_set,
        agent=EndpointSettings(base_url=server.base_url, **{**FAST, **agent}),
        user=EndpointSettings(mode="scripted"),
        k=2,
        seed=0,
        label="faults",
    )


@pytest.mark.slow
def test_evaluation_scores_are_unchanged_by_retryable_faults(shop_tasks):
    from tests.support.oracle import oracle_responder

    injector = FaultInjector(oracle_responder(shop_tasks.tasks), seed=5, rate=0.4, kinds=RETRYABLE)
    with s.StandInServer(injector) as server:
        report = _evaluate(shop_tasks, server)
    assert sum(injector.injected.values()) > 0
    assert report.overall.n_trials == 2 * len(shop_tasks.tasks)
    assert report.overall.pass_1 == 1.0 and report.overall.pass_k == 1.0  # as if nothing had happened


@pytest.mark.slow
def test_evaluation_counts_unusable_replies_as_failed_trials_and_dies_clearly_on_a_hang(shop_tasks):
    from tests.support.oracle import oracle_responder

    injector = FaultInjector(oracle_responder(shop_tasks.tasks), seed=6, rate=1.0, kinds=MARKED)
    with s.StandInServer(injector) as server:
        report = _evaluate(shop_tasks, server)
    assert report.overall.n_trials == 2 * len(shop_tasks.tasks) and report.overall.pass_1 == 0.0
    with (
        s.StandInServer(FaultInjector(s.echo_responder, hang_after=0)) as server,
        pytest.raises(EndpointDead),
    ):
        _evaluate(shop_tasks, server, max_retries=0, timeout_s=0.3)


@pytest.mark.slow
def test_the_evaluate_flow_survives_faults(home, prefect_harness, monkeypatch):
    from envscale.environments.evaluation.records import EvalTask
    from envscale.environments.synthesis.intents import template_task
    from envscale.environments.synthesis.run import sample_environment
    from envscale.flows.evaluate import evaluate
    from tests.support.oracle import oracle_responder

    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    kept, _ = sample_environment(
        manifest, home.environments, SynthesizeSettings(blueprints_per_environment=3)
    )
    tasks = [template_task(bp) for bp in kept]
    store.save_blueprints(wh, kept, None)
    store.save_tasks(wh, tasks, None)
    eval_tasks = [
        EvalTask(task=t, blueprint=b, domain=manifest.name, source="heldout")
        for t, b in zip(tasks, kept, strict=True)
    ]
    injector = FaultInjector(oracle_responder(eval_tasks), seed=7, rate=0.4, kinds=RETRYABLE)
    monkeypatch.setenv("ENVSCALE_LLM__AGENT__TIMEOUT_S", "0.5")  # the slow replies time out and are retried
    with s.StandInServer(injector) as server:
        out = evaluate(base_url=server.base_url, model_name="stand-in", k=2)
    assert sum(injector.injected.values()) > 0
    assert out["pass_1"] == 1.0 and out["tasks"] == len(tasks)
