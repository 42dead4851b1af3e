"""The interplay engine: user simulator ↔ agent LLM ↔ environment episode, many episodes at once.

Forward mode (the paper's): the agent sees the tools (OpenAI ``tools=``), the
episode executes its calls, tool errors go back as tool messages; the episode
ends on the user's stop signal, the turn limit, repeated failure or endless
repetition. Reverse mode builds the trajectory from the blueprint's gold calls.

Broken replies become ``Issue``s in the trajectory, never exceptions; only a
dead endpoint (``EndpointDead``) propagates, so the flow fails with a clear
message while finished trajectories stay written.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from envscale.environments.runtime.contracts import Episode, ToolResult
from envscale.environments.synthesis import phrasing
from envscale.environments.synthesis.records import Blueprint, Issue, Task, Timings, Trajectory, Usage
from envscale.environments.synthesis.users import UserSimulator

AGENT_SYSTEM = (
    "You are a helpful assistant that completes the user's request by calling the provided tools. "
    "Use exactly the values the user gives. Find the records and ids you need with the read tools, starting "
    "from what the user tells you; ask the user only for what no tool can find. Read a record before you "
    "change it. Call one tool at a time and wait for its result. When everything is done, reply with a short "
    "final answer that reports what the tools returned."
)

_REPEAT_LIMIT = 3  # the same call (or the same text) this many times in a row = endless repetition


@dataclass(frozen=True, slots=True)
class Job:
    """One episode to play: a task on its blueprint, attempt ``attempt``."""

    task: Task
    blueprint: Blueprint
    attempt: int = 0


@dataclass
class EngineConfig:
    max_turns: int = 12
    max_failures: int = 3
    system_prompt: str = AGENT_SYSTEM
    seed: int | None = 0


def _tool_message(call_id: str, result: ToolResult) -> dict[str, Any]:
    if result.ok:
        content = json.dumps(result.content, ensure_ascii=False, default=str)
    else:
        content = json.dumps({"error": result.error, "code": result.error_code}, ensure_ascii=False)
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def _short(text: Any, n: int = 300) -> str:
    text = str(text)
    return text if len(text) <= n else text[:n] + "…"


async def play_forward(
    job: Job,
    episode: Episode,
    agent: Any,
    user: UserSimulator,
    config: EngineConfig,
) -> Trajectory:
    """Play one forward episode to termination."""
    t0 = time.perf_counter()
    tools = [t.openai_schema() for t in episode.tools]
    tool_names = {t.name for t in episode.tools}
    u0 = time.perf_counter()
    opening = await user.open()
    user_s = time.perf_counter() - u0
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": config.system_prompt},
        {"role": "user", "content": opening},
    ]
    issues: list[Issue] = []
    agent_s = env_s = 0.0
    prompt = completion = requests = retries = invalid = 0
    failures = 0
    last_sig: str | None = None
    repeats = 0
    termination = "turn_limit"
    seed = None if config.seed is None else config.seed + job.attempt
    for turn in range(config.max_turns):
        result = await agent.chat(messages, tools=tools, seed=seed)
        result.raise_for_dead("agent")
        agent_s += result.latency_s
        requests += 1
        retries += result.attempts - 1
        prompt += result.prompt_tokens
        completion += result.completion_tokens
        if result.outcome != "ok":
            invalid += 1
            issues.append(Issue(turn=turn, code="invalid_reply", detail=_short(result.error)))
            failures += 1
            if failures >= config.max_failures:
                termination = "repeated_failure"
                break
            continue
        message = result.message
        calls = message.get("tool_calls") or []
        if calls:
            messages.append(message)
            sig = json.dumps([(c["function"]["name"], c["function"]["arguments"]) for c in calls])
            repeats = repeats + 1 if sig == last_sig else 1
            last_sig = sig
            e0 = time.perf_counter()
            for call in calls:
                fn = call["function"]
                name = fn["name"]
                try:
                    args = json.loads(fn["arguments"] or "{}")
                    if not isinstance(args, dict):
                        raise ValueError(f"arguments must be a JSON object, got {type(args).__name__}")
                except ValueError as exc:
                    outcome = ToolResult(
                        ok=False, error=f"invalid JSON arguments: {exc}", error_code="invalid_arguments"
                    )
                    issues.append(
                        Issue(
                            turn=turn,
                            code="invalid_json_arguments",
                            detail=_short(f"{name}: {fn['arguments']}"),
                        )
                    )
                else:
                    outcome = episode.call(name, args)
                    if not outcome.ok:
                        code = "unknown_tool" if name not in tool_names else "tool_error"
                        issues.append(Issue(turn=turn, code=code, detail=_short(f"{name}: {outcome.error}")))
                messages.append(_tool_message(call["id"], outcome))
                failures = 0 if outcome.ok else failures + 1
            env_s += time.perf_counter() - e0
            if repeats >= _REPEAT_LIMIT:
                issues.append(Issue(turn=turn, code="repetition", detail=_short(sig)))
                termination = "repetition"
                break
            if failures >= config.max_failures:
                termination = "repeated_failure"
                break
            continue
        text = (message.get("content") or "").strip()
        if not text:
            invalid += 1
            issues.append(
                Issue(
                    turn=turn,
                    code="empty_reply",
                    detail="assistant message with neither content nor tool calls",
                )
            )
            failures += 1
            if failures >= config.max_failures:
                termination = "repeated_failure"
                break
            continue
        messages.append({"role": "assistant", "content": message.get("content")})
        repeats = repeats + 1 if text == last_sig else 1
        last_sig = text
        if repeats >= _REPEAT_LIMIT:
            issues.append(Issue(turn=turn, code="repetition", detail=_short(text)))
            termination = "repetition"
            break
        u0 = time.perf_counter()
        reply = await user.reply(text)
        user_s += time.perf_counter() - u0
        if reply.issue:
            issues.append(Issue(turn=turn, code="user_invalid_reply", detail=_short(reply.issue)))
        if reply.stop:
            termination = "user_stop"
            break
        messages.append({"role": "user", "content": reply.text})
    # An LLM user simulator accounts its own tokens; fold them in.
    prompt += getattr(user, "prompt_tokens", 0)
    completion += getattr(user, "completion_tokens", 0)
    retries += getattr(user, "retries", 0)
    return Trajectory(
        trajectory_id=Trajectory.make_id(
            job.blueprint.env_id, job.blueprint.blueprint_id, job.attempt, "forward"
        ),
        task_id=job.task.task_id,
        env_id=job.blueprint.env_id,
        blueprint_id=job.blueprint.blueprint_id,
        attempt=job.attempt,
        mode="forward",
        messages=tuple(messages),
        tools=tuple(tools),
        termination=termination,  # type: ignore[arg-type]
        final_state_hash=episode.state_hash(),
        issues=tuple(issues),
        usage=Usage(
            prompt_tokens=prompt,
            completion_tokens=completion,
            requests=requests,
            retries=retries,
            invalid_replies=invalid,
        ),
        timings=Timings(total_s=time.perf_counter() - t0, agent_s=agent_s, user_s=user_s, env_s=env_s),
    )


def build_reverse(
    job: Job,
    tools: list[dict[str, Any]],
    *,
    system_prompt: str = AGENT_SYSTEM,
    final_text: str | None = None,
    issues: tuple[Issue, ...] = (),
    usage: Usage | None = None,
) -> Trajectory:
    """The trajectory straight from the blueprint: gold calls and results, user turn from the intent.

    ``final_text`` is the assistant's closing reply (an LLM's, see ``wording``); the template's otherwise.
    """
    bp = job.blueprint
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system_prompt},
        {"role": "user", "content": job.task.instruction},
    ]
    for i, call in enumerate(bp.calls):
        call_id = f"call_{i}"
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {
                            "name": call.name,
                            "arguments": json.dumps(call.arguments, ensure_ascii=False),
                        },
                    }
                ],
            }
        )
        messages.append(
            {
                "role": "tool",
                "tool_call_id": call_id,
                "content": json.dumps(call.result, ensure_ascii=False, default=str),
            }
        )
    messages.append({"role": "assistant", "content": final_text or _final_template(bp)})
    return Trajectory(
        trajectory_id=Trajectory.make_id(bp.env_id, bp.blueprint_id, job.attempt, "reverse"),
        task_id=job.task.task_id,
        env_id=bp.env_id,
        blueprint_id=bp.blueprint_id,
        attempt=job.attempt,
        mode="reverse",
        messages=tuple(messages),
        tools=tuple(tools),
        termination="reverse",
        final_state_hash=bp.gold_state_hash,
        issues=issues,
        usage=usage or Usage(),
    )


def _final_template(bp: Blueprint) -> str:
    if bp.planner == "goal":
        return phrasing.final_reply(bp)
    names = ", ".join(c.name for c in bp.calls)
    return (
        f"All done: I completed {names} as you asked."
        if not bp.read_only
        else f"Here is what I found using {names}."
    )


# -- many episodes -------------------------------------------------------------------------------


async def run_jobs(
    jobs: Iterable[Job],
    play: Callable[[Job], Awaitable[Trajectory]],
    *,
    in_flight: int,
    on_done: Callable[[Trajectory], Any] | None = None,
    ramp_up_s: float | None = None,
) -> dict[str, Any]:
    """Play jobs with at most ``in_flight`` at once; ``on_done`` sees each trajectory as it finishes.

    A fixed pool of workers pulls from one iterator (no task per job, so a
    million jobs cost no memory up front). The first ``EndpointDead`` (or any
    bug) cancels the rest and propagates, after the finished ones were handed on.

    Workers enter one by one over ``ramp_up_s`` (default: 2 ms apart, at most
    1 s in all). Started together, hundreds of episodes move in lockstep: every
    request of a turn hits the endpoint and the event loop in one burst, and the
    burst's queueing, not the work, sets the latency. Staggered, they stay spread.
    """
    iterator = iter(jobs)
    stats = {"done": 0, "peak_in_flight": 0}
    active = 0
    workers_n = max(1, in_flight)
    ramp = min(0.002 * workers_n, 1.0) if ramp_up_s is None else ramp_up_s
    spacing = ramp / workers_n

    async def worker(index: int) -> None:
        nonlocal active
        if index and spacing > 0:
            await asyncio.sleep(index * spacing)
        for job in iterator:
            active += 1
            stats["peak_in_flight"] = max(stats["peak_in_flight"], active)
            try:
                trajectory = await play(job)
            finally:
                active -= 1
            stats["done"] += 1
            if on_done is not None:
                outcome = on_done(trajectory)
                if asyncio.iscoroutine(outcome):
                    await outcome

    workers = [asyncio.create_task(worker(i)) for i in range(workers_n)]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    return stats
