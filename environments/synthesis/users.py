"""User simulators: the scripted one (offline default) and the LLM one (the paper's setting).

Both open with the instruction and end the conversation with a stop signal once
the agent has given its final answer; neither's stop message is recorded in
the trajectory (it is not part of what the agent is trained on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from envscale.environments.synthesis.records import Blueprint, Task
from envscale.environments.synthesis.values import mentioned_params, required_values

STOP = "###STOP###"


@dataclass(frozen=True, slots=True)
class UserTurn:
    text: str
    stop: bool = False
    issue: str | None = None  # a broken simulator reply, recorded by the engine


class UserSimulator(Protocol):
    async def open(self) -> str: ...

    async def reply(self, agent_text: str) -> UserTurn: ...


class ScriptedUser:
    """Deterministic: states the instruction, answers value requests from the blueprint, stops on an answer.

    An agent message that asks something ('?') and names a parameter gets that
    parameter's value; any other question gets the instruction again (at most
    twice); a message that asks nothing is the final answer, and the user stops.
    """

    def __init__(self, task: Task, blueprint: Blueprint, *, max_repeats: int = 2) -> None:
        self.task = task
        self.values = required_values(blueprint)
        # A goal-planned user knows only its facts; a walk's user can answer for any argument.
        calls = () if blueprint.planner == "goal" else blueprint.calls
        self.all_values = {k: v for c in calls for k, v in c.arguments.items()} | self.values
        self.max_repeats = max_repeats
        self._repeats = 0

    async def open(self) -> str:
        return self.task.instruction

    async def reply(self, agent_text: str) -> UserTurn:
        if "?" not in agent_text:
            return UserTurn(STOP, stop=True)
        asked = mentioned_params(agent_text, self.all_values)
        if asked:
            parts = [f"{name.replace('_', ' ')} is {self.all_values[name]}" for name in asked]
            return UserTurn("The " + ", and the ".join(parts) + ".")
        if self._repeats >= self.max_repeats:
            return UserTurn(STOP, stop=True)
        self._repeats += 1
        return UserTurn(f"As I said: {self.task.instruction}")


_USER_SYSTEM = (
    "You are a customer talking to a support agent. Your goal:\n{instruction}\n\n"
    "Rules: speak as the customer, one short message at a time. Give the agent the values it asks for, "
    "exactly as written in your goal; never invent others. When the agent has done everything in your goal "
    "(or says it cannot), reply with exactly {stop} and nothing else."
)


class LLMUser:
    """A user-simulator LLM that knows the intent and the stop convention."""

    def __init__(self, client: Any, task: Task, blueprint: Blueprint, *, seed: int | None = None) -> None:
        self.client = client
        self.task = task
        self.seed = seed
        self.fallback = ScriptedUser(task, blueprint)
        self.history: list[dict[str, Any]] = [
            {"role": "system", "content": _USER_SYSTEM.format(instruction=task.instruction, stop=STOP)}
        ]
        self.busy_s = 0.0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.retries = 0

    async def open(self) -> str:
        # The opening states the task as written: it carries every value (checked at writing).
        self.history.append({"role": "assistant", "content": self.task.instruction})
        return self.task.instruction

    async def reply(self, agent_text: str) -> UserTurn:
        # Roles flip: the agent speaks as 'user' to the simulator.
        self.history.append({"role": "user", "content": agent_text})
        result = await self.client.chat(self.history, seed=self.seed)
        result.raise_for_dead("user_simulator")
        self.busy_s += result.latency_s
        self.prompt_tokens += result.prompt_tokens
        self.completion_tokens += result.completion_tokens
        self.retries += result.attempts - 1
        text = result.content.strip()
        if result.outcome != "ok" or not text:
            turn = await self.fallback.reply(agent_text)
            why = result.error or "empty reply"
            self.history.append({"role": "assistant", "content": turn.text})
            return UserTurn(
                turn.text, turn.stop, issue=f"user simulator reply unusable ({why}); scripted fallback"
            )
        self.history.append({"role": "assistant", "content": text})
        if STOP in text:
            return UserTurn(STOP, stop=True)
        return UserTurn(text)
