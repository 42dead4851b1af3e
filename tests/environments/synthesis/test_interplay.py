"""The forward/reverse interplay engine against a real local OpenAI-compatible server (test stand-in)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from envscale.config import EndpointSettings, SynthesizeSettings
from envscale.environments.runtime import open_episode
from envscale.environments.synthesis.intents import llm_task, template_task
from envscale.environments.synthesis.interplay import EngineConfig, Job, build_reverse, play_forward, run_jobs
from envscale.environments.synthesis.run import sample_environment
from envscale.environments.synthesis.users import STOP, LLMUser, ScriptedUser
from envscale.llm import EndpointDead, LLMClient
from tests.support import standin as s


@pytest.fixture
def server():
    with s.StandInServer() as srv:
        yield srv


@pytest.fixture
def job(shop):
    manifest, directory = shop
    kept, _ = sample_environment(
        manifest, directory, SynthesizeSettings(blueprints_per_environment=6, min_calls=2, seed=1)
    )
    bp = next(b for b in kept if any(c.name == "create_order" for c in b.calls))
    return Job(task=template_task(bp), blueprint=bp)


def _play(shop, job, server, *, user=None, config=None, **settings):
    manifest, directory = shop

    async def go():
        async with LLMClient(
            EndpointSettings(base_url=server.base_url, **settings), backoff_base_s=0.01
        ) as agent:
            with open_episode(manifest, directory=directory) as ep:
                return await play_forward(
                    job, ep, agent, user or ScriptedUser(job.task, job.blueprint), config or EngineConfig()
                )

    return asyncio.run(go())


def _gold_replies(job):
    return [s.tool_call(c.name, c.arguments) for c in job.blueprint.calls] + [s.text("All done.")]


def test_agent_following_the_gold_calls_reaches_the_gold_state(shop, job, server):
    server.enqueue(*_gold_replies(job))
    traj = _play(shop, job, server)
    assert traj.termination == "user_stop"
    assert traj.final_state_hash == job.blueprint.gold_state_hash
    roles = [m["role"] for m in traj.messages]
    assert roles[:2] == ["system", "user"] and roles[-1] == "assistant"
    assert roles.count("tool") == job.blueprint.n_calls
    assert traj.tools and traj.tools[0]["type"] == "function"
    assert server.requests[0]["tools"] == list(traj.tools)  # the agent sees tools=
    assert traj.usage.requests == job.blueprint.n_calls + 1 and traj.usage.prompt_tokens > 0
    assert traj.timings.agent_s > 0 and traj.issues == ()


def test_broken_replies_are_recorded_and_end_in_repeated_failure(shop, job, server):
    server.enqueue(
        s.tool_call("create_order", '{"customer_id": "C-100", "item": '),  # invalid JSON arguments
        s.tool_call("teleport", {"to": "mars"}),  # unknown tool
        s.empty_choices(),  # no choices at all
    )
    traj = _play(shop, job, server, config=EngineConfig(max_failures=3))
    assert traj.termination == "repeated_failure"
    assert [i.code for i in traj.issues] == ["invalid_json_arguments", "unknown_tool", "invalid_reply"]
    tool_msgs = [json.loads(m["content"]) for m in traj.messages if m["role"] == "tool"]
    assert "invalid JSON arguments" in tool_msgs[0]["error"] and tool_msgs[1]["code"] == "unknown_tool"
    assert traj.usage.invalid_replies == 1


def test_wrong_types_go_back_to_the_agent_as_tool_errors(shop, job, server):
    server.enqueue(
        s.tool_call("create_order", {"customer_id": "C-100", "item": "lamp", "quantity": "many"}),
        s.text("Sorry."),
    )
    traj = _play(shop, job, server)
    assert traj.issues[0].code == "tool_error" and "quantity" in traj.issues[0].detail
    assert traj.termination == "user_stop"


def test_turn_limit_and_endless_repetition(shop, job, server):
    server.responder = lambda req: s.tool_call("list_customers", {})
    traj = _play(shop, job, server, config=EngineConfig(max_turns=10))
    assert traj.termination == "repetition" and traj.issues[-1].code == "repetition"
    server.responder = s.echo_responder  # always a question-free text: the scripted user stops at once
    server.enqueue(s.tool_call("list_customers", {}), s.tool_call("get_customer", {"customer_id": "C-100"}))
    traj = _play(shop, job, server, config=EngineConfig(max_turns=2))
    assert traj.termination == "turn_limit"


def test_scripted_user_answers_a_value_request_from_the_blueprint(shop, job, server):
    """The user answers with a fact it holds, and never with an id the agent must look up."""
    fact = next(f for f in job.blueprint.facts if f.name == "item")
    server.enqueue(s.text("Which item should I use?"), s.text("Done, thanks."))
    traj = _play(shop, job, server)
    answer = traj.messages[3]
    assert answer["role"] == "user"
    assert str(fact.value) in answer["content"]
    assert traj.termination == "user_stop"

    looked_up = next(c.arguments["customer_id"] for c in job.blueprint.calls if "customer_id" in c.arguments)
    assert all(f.value != looked_up for f in job.blueprint.facts)
    server.enqueue(s.text("Which customer id should I use?"), s.text("Done, thanks."))
    traj = _play(shop, job, server)
    assert looked_up not in traj.messages[3]["content"]


def test_llm_user_simulator_and_its_stop_signal(shop, job, server):
    user_srv = s.StandInServer().start()
    try:
        user_srv.enqueue(s.text("Yes please, go ahead."), s.text(STOP))
        server.enqueue(s.text("Shall I create the order?"), s.text("Created."))

        async def go():
            manifest, directory = shop
            async with (
                LLMClient(EndpointSettings(base_url=server.base_url)) as agent,
                LLMClient(EndpointSettings(base_url=user_srv.base_url)) as user_llm,
            ):
                with open_episode(manifest, directory=directory) as ep:
                    return await play_forward(
                        job, ep, agent, LLMUser(user_llm, job.task, job.blueprint), EngineConfig()
                    )

        traj = asyncio.run(go())
    finally:
        user_srv.stop()
    assert traj.termination == "user_stop"
    assert [m["content"] for m in traj.messages if m["role"] == "user"][1] == "Yes please, go ahead."
    # The simulator saw the intent and the stop convention, with roles flipped.
    first = user_srv.requests[0]["messages"]
    assert job.task.instruction in first[0]["content"] and STOP in first[0]["content"]
    assert first[-1] == {"role": "user", "content": "Shall I create the order?"}
    assert traj.usage.prompt_tokens == 40  # 2 agent + 2 user calls of 10 prompt tokens


def test_llm_task_writer_is_checked_and_falls_back_to_the_template(job, server):
    from envscale.environments.synthesis.values import required_values

    values = required_values(job.blueprint)
    faithful = "Please " + " and ".join(str(v) for v in values.values())
    server.enqueue(s.text(faithful), s.text("Please do something nice."), s.empty_choices())

    async def go():
        async with LLMClient(EndpointSettings(base_url=server.base_url)) as client:
            return [await llm_task(client, job.blueprint) for _ in range(3)]

    good, drifted, broken = asyncio.run(go())
    assert good.writer == "llm" and good.instruction == faithful and good.fallback_reason is None
    assert drifted.writer == "template" and drifted.fallback_reason.startswith("missing_values:")
    assert broken.writer == "template" and broken.fallback_reason.startswith("invalid_reply:")


def test_reverse_mode_builds_the_gold_conversation(shop, job):
    manifest, _ = shop
    traj = build_reverse(job, manifest.openai_tools())
    assert traj.mode == "reverse" and traj.termination == "reverse"
    calls = [m["tool_calls"][0]["function"] for m in traj.messages if m.get("tool_calls")]
    assert [(c["name"], json.loads(c["arguments"])) for c in calls] == [
        (c.name, c.arguments) for c in job.blueprint.calls
    ]
    assert traj.final_state_hash == job.blueprint.gold_state_hash


def test_hundreds_of_episodes_in_flight_and_a_dead_endpoint(shop, job, server):
    manifest, directory = shop
    server.latency_s = 1.0  # episodes of two 1 s calls outlast the workers' ramp even on a loaded box
    server.responder = s.tool_then_answer
    done = []

    async def go(n, in_flight):
        async with LLMClient(
            EndpointSettings(base_url=server.base_url, concurrency=in_flight, max_retries=1)
        ) as agent:

            async def play(j):
                with open_episode(manifest, directory=directory) as ep:
                    return await play_forward(j, ep, agent, ScriptedUser(j.task, j.blueprint), EngineConfig())

            return await run_jobs(
                [Job(job.task, job.blueprint, attempt=i) for i in range(n)],
                play,
                in_flight=in_flight,
                on_done=done.append,
            )

    stats = asyncio.run(go(300, 300))
    # Workers enter 2 ms apart (0.6 s for 300); episodes of two 1 s calls outlast the ramp.
    assert stats["peak_in_flight"] == 300 and server.max_in_flight >= 256
    assert len(done) == 300 and {t.termination for t in done} == {"user_stop"}
    # A dead endpoint: EndpointDead propagates; nothing finished is lost (on_done saw them first).
    server.latency_s = 0.0
    server.responder = lambda req: s.error(503)
    done.clear()
    with pytest.raises(EndpointDead, match="http 503"):
        asyncio.run(go(5, 2))


def test_workers_enter_staggered_so_episodes_do_not_move_in_lockstep():
    async def go(ramp):
        starts = []

        async def play(j):
            starts.append(time.perf_counter())
            await asyncio.sleep(0.3)  # longer than the ramp: every worker holds its job

        await run_jobs(range(40), play, in_flight=40, ramp_up_s=ramp)
        return max(starts) - min(starts)

    assert asyncio.run(go(0.2)) >= 0.15  # spread over the ramp
    assert asyncio.run(go(0.0)) < 0.05  # all at once when asked
