"""Play every task k times against an agent endpoint and judge each trial (the synthesis engine, reused).

The agent is any OpenAI-compatible endpoint; the user simulator follows
``llm.user_simulator`` (scripted, or an LLM). Trial i of a task runs with the
agent seed ``seed + i``, so two models evaluated with the same seed see the
same tasks under the same sampling seeds. A dead endpoint raises
``EndpointDead``; broken replies are failed trials, never crashes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from envscale.config import EndpointSettings
from envscale.environments.evaluation.dual_control import (
    DualControlEpisode,
    LLMDeviceUser,
    ScriptedDeviceUser,
    action_matched,
    user_tool_schemas,
)
from envscale.environments.evaluation.judge import RecordingEpisode, judge
from envscale.environments.evaluation.metrics import build_report
from envscale.environments.evaluation.records import EvalReport, EvalTask, TrialResult
from envscale.environments.evaluation.tasks import TaskSet
from envscale.environments.synthesis.interplay import EngineConfig, Job, play_forward, run_jobs
from envscale.environments.synthesis.users import LLMUser, ScriptedUser

Progress = Callable[[int, int], None]


def play_trials(
    task_set: TaskSet,
    *,
    agent: EndpointSettings,
    user: EndpointSettings,
    k: int,
    seed: int,
    max_turns: int = 12,
    max_failures: int = 3,
    in_flight: int = 8,
    trajectories_path: Path | None = None,
    progress: Progress | None = None,
    served: str | None = None,
) -> list[TrialResult]:
    """Every task of ``task_set`` played ``k`` times and judged; ``agent.base_url`` is the endpoint under test.

    served: play through the MCP server at this URL (``envscale serve``) instead of in-process episodes.
    """
    if not agent.base_url:
        raise ValueError("the agent under test needs a base_url (serve the model first)")
    if user.mode == "llm" and not user.base_url:
        raise ValueError("llm.user_simulator.mode is 'llm' but it has no base_url")
    config = EngineConfig(max_turns=max_turns, max_failures=max_failures, seed=seed)
    if served is None:
        return asyncio.run(
            _play_all(task_set, agent, user, config, k, in_flight, trajectories_path, progress)
        )
    from envscale.environments.rl.mcp_client import ServedEpisodes

    with ServedEpisodes(served) as remote:

        def open_served(item: EvalTask) -> Any:
            return remote.open(item, name=task_set.envs[item.blueprint.env_id][0].name)

        return asyncio.run(
            _play_all(task_set, agent, user, config, k, in_flight, trajectories_path, progress, open_served)
        )


def evaluate_task_set(
    task_set: TaskSet,
    *,
    agent: EndpointSettings,
    user: EndpointSettings,
    k: int,
    seed: int,
    label: str,
    model_uri: str | None = None,
    model_version: str | None = None,
    **play: Any,
) -> EvalReport:
    """``play_trials`` then the report (metrics overall and per domain)."""
    t0 = time.perf_counter()
    trials = play_trials(task_set, agent=agent, user=user, k=k, seed=seed, **play)
    return build_report(
        trials,
        label=label,
        k=k,
        seed=seed,
        task_ids=task_set.task_ids,
        skipped=task_set.skipped,
        model_uri=model_uri,
        model_version=model_version,
        wall_s=time.perf_counter() - t0,
    )


async def _play_all(
    task_set: TaskSet,
    agent_settings: EndpointSettings,
    user_settings: EndpointSettings,
    config: EngineConfig,
    k: int,
    in_flight: int,
    trajectories_path: Path | None,
    progress: Progress | None,
    open_served: Callable[[EvalTask], Any] | None = None,
) -> list[TrialResult]:
    from envscale.environments.runtime import open_episode
    from envscale.llm import LLMClient

    agent = LLMClient(agent_settings, role="agent")
    user_client = LLMClient(user_settings, role="user_simulator") if user_settings.mode == "llm" else None
    by_task: dict[str, EvalTask] = {t.task_id: t for t in task_set.tasks}
    jobs = [Job(task=t.task, blueprint=t.blueprint, attempt=a) for t in task_set.tasks for a in range(k)]
    trials: list[TrialResult] = []
    sink = trajectories_path.open("w") if trajectories_path is not None else None

    async def play(job: Job) -> Any:
        item = by_task[job.task.task_id]
        manifest, db_path = task_set.envs[job.blueprint.env_id]
        if item.user_state is not None and open_served:
            raise ValueError(
                "dual-control (τ² telecom) tasks cannot be played through a served environment yet"
            )
        live = open_served(item) if open_served else open_episode(manifest, db_path=db_path)
        dual = DualControlEpisode(live, item.user_state) if item.user_state is not None else None
        if dual is not None:
            dual.setup(item.setup)
        episode = RecordingEpisode(dual or live)
        try:
            sim = _simulator(item, job, user_client, user_settings, dual)
            # τ² tasks carry their domain's policy; a generated environment's policy (its business rules)
            # joins the base prompt.
            prompt = item.system_prompt or manifest.system_prompt(config.system_prompt)
            trajectory = await play_forward(job, episode, agent, sim, replace(config, system_prompt=prompt))
            return trajectory, judge(item, trajectory, episode, **_dual_verdict(item, episode, dual))
        finally:
            episode.close()

    def on_done(outcome: Any) -> None:
        trajectory, trial = outcome
        trials.append(trial)
        if sink is not None:
            sink.write(
                json.dumps(
                    {"trial": trial.model_dump(mode="json"), "messages": trajectory.messages}, default=str
                )
                + "\n"
            )
        if progress:
            progress(len(trials), len(jobs))

    try:
        await run_jobs(jobs, play, in_flight=in_flight, on_done=on_done)
    finally:
        if sink is not None:
            sink.close()
        await agent.aclose()
        if user_client is not None:
            await user_client.aclose()
    return trials


def _simulator(
    item: EvalTask, job: Job, client: Any, settings: EndpointSettings, dual: DualControlEpisode | None
) -> Any:
    """The user simulator; with a device of its own (dual control) it can act on it."""
    if dual is None:
        if client is not None:
            return LLMUser(client, job.task, job.blueprint, seed=settings.seed)
        return ScriptedUser(job.task, job.blueprint)
    if client is not None:
        return LLMDeviceUser(
            client, job.task, job.blueprint, dual.user_call, user_tool_schemas(), seed=settings.seed
        )
    return ScriptedDeviceUser(job.task, job.blueprint, dual.user_call, item.user_actions)


def _dual_verdict(
    item: EvalTask, episode: RecordingEpisode, dual: DualControlEpisode | None
) -> dict[str, Any]:
    """τ²'s env assertions on the final state (either side) and its ACTION check over both sides' calls."""
    out: dict[str, Any] = {}
    if item.env_assertions:
        if dual is None:
            raise ValueError("env assertions need a dual-control episode")
        out["env_assertions_ok"] = all(dual.assertion(a) for a in item.env_assertions)
    if item.gold_actions:
        calls = [(c.name, c.arguments) for c in episode.calls if c.ok]
        if dual is not None:
            calls += [(name, args) for name, args, ok in dual.user_calls if ok]
        out["actions_ok"] = all(action_matched(a, calls) for a in item.gold_actions)
    return out
