"""A gym-style episode for in-process trainers: reset to a task, step with tool calls, get the judge's reward.

    env = TaskEnv.from_task_set(task_set, env_id)
    start = env.reset(task_id)              # instruction, policy text, tools
    step = env.step("get_order", {"order_id": "o1"})
    step.observation, step.reward, step.done, step.info
    env.verdict()                           # the evaluation judge's verdict on the current state
    env.close()

The reward is the evaluation judge's verdict (``judge_state``): 1.0 when the
episode's state equals the task's gold state and, for read-only tasks, the
successful calls equal the gold calls; else 0.0. It is computed when the episode
is done (the step budget is spent, or ``end()``), and on demand by ``verdict()``.
Agent mistakes are observations (``ok=False``), never exceptions; only misuse of
the API (step before reset, an unknown task id) raises ``EpisodeError``.

The MCP server (``envscale.environments.rl.mcp_server``) runs one ``TaskEnv`` per
session, so both speak the same semantics.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from envscale.environments.evaluation.judge import RecordingEpisode, judge_state
from envscale.environments.evaluation.records import EvalTask
from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.runtime.contracts import EnvTool, RowChange, ToolCall, ToolResult
from envscale.environments.synthesis.interplay import AGENT_SYSTEM
from envscale.errors import InputError


class EpisodeError(InputError):
    """Misuse of the episode API: an unknown task, a step before reset or after close."""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TaskStart(_Record):
    """What ``reset`` returns: the task to do and the rules to follow."""

    task_id: str = Field(description="The task the episode now plays.")
    env_id: str = Field(description="Its environment.")
    instruction: str = Field(description="The user's request.")
    policy: str = Field(description="The agent's system prompt (the environment's policy text).")
    tools: tuple[EnvTool, ...] = Field(description="Tools the agent may call.")


class Verdict(_Record):
    """The evaluation judge's verdict on the episode's current state."""

    task_id: str = Field(description="The task judged.")
    passed: bool = Field(description="State equals the gold state and (read-only tasks) the calls match.")
    db_match: bool = Field(description="The episode's state hash equals the gold state hash.")
    exact_match: bool | None = Field(None, description="Read-only tasks: successful calls equal gold calls.")
    mismatch: dict[str, Any] | None = Field(None, description="First exact-match difference, if any.")
    state_hash: str = Field(description="The episode's current state hash.")
    gold_state_hash: str = Field(description="The task's gold state hash.")
    steps: int = Field(ge=0, description="Tool calls made since reset.")

    @property
    def reward(self) -> float:
        return 1.0 if self.passed else 0.0


class StepResult(_Record):
    """One step: what the tool returned, the reward (judged when done), whether the episode is over."""

    observation: ToolResult = Field(description="The tool's result, or the error the agent can read.")
    reward: float = Field(description="The judge's reward when done (1.0 pass / 0.0 fail); 0.0 before.")
    done: bool = Field(description="The step budget is spent (or the episode was ended).")
    info: dict[str, Any] = Field(
        default_factory=dict, description="steps, state_hash, and the verdict dump once done."
    )


class TaskEnv:
    """One environment's tasks as a resettable episode (one task at a time; one thread at a time)."""

    def __init__(
        self,
        manifest: EnvironmentManifest,
        db_path: Path,
        tasks: Mapping[str, EvalTask],
        *,
        policy: str = AGENT_SYSTEM,
        max_steps: int | None = None,
    ) -> None:
        self.manifest = manifest
        self.db_path = Path(db_path)
        self.env_id = manifest.env_id
        self.tasks = dict(tasks)
        self.policy = policy
        self.max_steps = max_steps
        self.tools: tuple[EnvTool, ...] = tuple(manifest.tools)
        self._episode: RecordingEpisode | None = None
        self._task: EvalTask | None = None
        self._steps = 0
        self._done = False

    @classmethod
    def from_task_set(cls, task_set: Any, env_id: str, **kwargs: Any) -> TaskEnv:
        """The tasks of ``env_id`` in an evaluation ``TaskSet`` (held-out or τ-bench)."""
        if env_id not in task_set.envs:
            raise EpisodeError(f"environment {env_id!r} is not in the task set")
        manifest, db_path = task_set.envs[env_id]
        tasks = {t.task_id: t for t in task_set.tasks if t.blueprint.env_id == env_id}
        return cls(manifest, db_path, tasks, **kwargs)

    # -- the gym API -----------------------------------------------------------
    def reset(self, task_id: str) -> TaskStart:
        """Discard the current episode and open a fresh one on the base state for ``task_id``."""
        item = self.tasks.get(task_id)
        if item is None:
            raise EpisodeError(f"unknown task {task_id!r} for environment {self.env_id}")
        from envscale.environments.runtime import open_episode

        self._discard()
        self._episode = RecordingEpisode(open_episode(self.manifest, db_path=self.db_path))
        self._task = item
        self._steps = 0
        self._done = False
        return TaskStart(
            task_id=task_id,
            env_id=self.env_id,
            instruction=item.task.instruction,
            policy=self.policy,
            tools=self.tools,
        )

    def step(self, call: ToolCall | str, arguments: dict[str, Any] | None = None) -> StepResult:
        """Run one tool call on the episode. Agent mistakes are observations, not exceptions."""
        episode = self._live()
        if isinstance(call, ToolCall):
            name, arguments = call.name, call.arguments
        else:
            name = call
        if self._done:
            result = ToolResult(ok=False, error="the episode is over; reset it", error_code="episode_done")
            return self._result(result)
        result = episode.call(name, arguments if arguments is not None else {})
        self._steps += 1
        if self.max_steps is not None and self._steps >= self.max_steps:
            self._done = True
        return self._result(result)

    def end(self) -> StepResult:
        """Declare the episode over (the agent's final answer): the reward is judged now."""
        self._live()
        self._done = True
        return self._result(ToolResult(ok=True, content="episode ended"))

    def verdict(self) -> Verdict:
        """The judge's verdict on the current state (any time after reset)."""
        episode = self._live()
        item = self._task
        assert item is not None
        state = episode.state_hash()
        db_match, exact, mismatch = judge_state(item, state, episode)
        return Verdict(
            task_id=item.task_id,
            passed=db_match and exact is not False,
            db_match=db_match,
            exact_match=exact,
            mismatch=mismatch,
            state_hash=state,
            gold_state_hash=item.blueprint.gold_state_hash,
            steps=self._steps,
        )

    def diff(self) -> list[RowChange]:
        """Row-level changes since reset."""
        return self._live().diff()

    def state_hash(self) -> str:
        return self._live().state_hash()

    @property
    def task(self) -> EvalTask | None:
        return self._task

    @property
    def done(self) -> bool:
        return self._done

    def close(self) -> None:
        """Discard the episode (idempotent)."""
        self._discard()
        self._task = None

    def __enter__(self) -> TaskEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------
    def _live(self) -> RecordingEpisode:
        if self._episode is None:
            raise EpisodeError("no episode: call reset(task_id) first")
        return self._episode

    def _discard(self) -> None:
        if self._episode is not None:
            self._episode.close()
            self._episode = None

    def _result(self, result: ToolResult) -> StepResult:
        info: dict[str, Any] = {"steps": self._steps}
        reward = 0.0
        if self._done:
            verdict = self.verdict()
            reward = verdict.reward
            info["verdict"] = verdict.model_dump(mode="json")
        return StepResult(observation=result, reward=reward, done=self._done, info=info)


__all__ = ["EpisodeError", "StepResult", "TaskEnv", "TaskStart", "Verdict"]
