"""The records synthesis produces; validation and training consume them.

All frozen pydantic models. Messages are plain OpenAI chat-format dicts
(``role``/``content``/``tool_calls``/``tool_call_id``), tool-call arguments as
the JSON *string* the model produced (possibly invalid: a broken reply is data).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from envscale.hashing import content_hash

if TYPE_CHECKING:
    from envscale.environments.runtime.contracts import Episode


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GoldCall(_Record):
    """One call of a blueprint, executed on the episode while sampling."""

    name: str = Field(description="Tool name.")
    arguments: dict[str, Any] = Field(description="Arguments, grounded in the episode's state.")
    kind: Literal["read", "write"] = Field(description="The tool's nature.")
    ok: bool = Field(description="Whether the call succeeded.")
    result: Any = Field(None, description="ToolResult.content of the call (JSON-serializable).")
    error: str | None = Field(None, description="ToolResult.error when the call failed.")
    changed_state: bool = Field(False, description="Whether the state hash changed across this call.")


BlueprintStatus = Literal["kept", "dropped"]
_JSON_COLUMNS = ("calls", "gold_diff", "plan")
FactKind = Literal["personal", "receipt", "account", "detail"]
Action = Literal["read", "create", "update", "delete", "other"]


class UserFact(_Record):
    """Something the user knows and states: about themself, from a receipt, or a plain description."""

    name: str = Field(description="Argument or column the fact gives ('email', 'order_id', 'date').")
    value: Any = Field(description="The value, as the tools spell it.")
    kind: FactKind = Field(
        description="personal (about the user), receipt (a number they were given), account (their customer/"
        "member number), detail (a description: a date, a city, a title, a new value)."
    )
    about: str | None = Field(None, description="The entity the fact describes ('order', 'doctor').")
    goal: int = Field(0, ge=0, description="Index of the goal the fact belongs to.")


class Goal(_Record):
    """What the user wants done: one write (or a question a read answers), possibly refused by a rule."""

    tool: str = Field(description="The tool that achieves it (never shown to the user).")
    action: Action = Field(description="What it does to its main table.")
    about: str | None = Field(None, description="The entity it is about ('appointment').")
    arguments: dict[str, Any] = Field(description="The goal call's arguments.")
    refused: str | None = Field(
        None,
        description="The environment's refusal (a business rule) when the user asks for what is not allowed.",
    )
    asks: str | None = Field(
        None,
        description="The request in the tool description's words ('calculate the area of a triangle'), "
        "used where the record phrasing would name the tool (synthesis.asks).",
    )
    mine: bool = Field(
        True,
        description="The record is the customer's own (their order, their account): the request says "
        "'my'. A catalog's or the world's (a product, a city's weather) is 'the' or 'a'.",
    )


class Blueprint(_Record):
    """A verifiable tool sequence: gold calls, their results, the gold final state."""

    blueprint_id: str = Field(description="Content hash of env_id + calls.")
    env_id: str = Field(description="Environment the sequence runs on.")
    calls: tuple[GoldCall, ...] = Field(description="Gold calls in order, with results.")
    read_only: bool = Field(description="True when no call is a write.")
    gold_state_hash: str = Field(description="Episode state hash after the last call.")
    gold_diff: tuple[dict[str, Any], ...] = Field((), description="RowChange dumps since the episode opened.")
    status: BlueprintStatus = Field("kept", description="kept, or dropped with a reason.")
    reason: str | None = Field(None, description="Why the blueprint was dropped (reason code: detail).")
    seed: int = Field(0, description="Sampler seed that produced it.")
    planner: Literal["walk", "goal"] = Field(
        "walk", description="goal: back-chained from the user's goals; walk: a random graph walk."
    )
    goals: tuple[Goal, ...] = Field((), description="The user's goals, in order (goal planner only).")
    facts: tuple[UserFact, ...] = Field(
        (), description="What the user states; everything else the agent finds with read tools."
    )

    @property
    def n_calls(self) -> int:
        return len(self.calls)

    @property
    def refusal(self) -> bool:
        """Whether the user asks for something a business rule forbids (the right answer is to refuse)."""
        return any(g.refused for g in self.goals)

    @staticmethod
    def make_id(
        env_id: str, calls: list[GoldCall] | tuple[GoldCall, ...], goals: tuple[Goal, ...] = ()
    ) -> str:
        key: dict[str, Any] = {"env": env_id, "calls": [(c.name, c.arguments) for c in calls]}
        if goals:  # a refused goal adds no call: the same reads may serve another task
            key["goals"] = [g.model_dump(mode="json") for g in goals]
        return content_hash(key)

    @classmethod
    def recorded(
        cls,
        env_id: str,
        calls: list[GoldCall] | tuple[GoldCall, ...],
        episode: Episode,
        *,
        goals: tuple[Goal, ...] = (),
        **fields: Any,
    ) -> Blueprint:
        """The kept blueprint of ``calls`` just made on ``episode``: its id, whether it only reads, and the
        episode's state hash and diff as the gold state; ``fields`` set the rest (seed, planner, ...)."""
        return cls(
            blueprint_id=cls.make_id(env_id, calls, goals),
            env_id=env_id,
            calls=tuple(calls),
            read_only=all(c.kind == "read" for c in calls),
            gold_state_hash=episode.state_hash(),
            gold_diff=tuple(c.model_dump(mode="json") for c in episode.diff()),
            goals=goals,
            **fields,
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Blueprint:
        """A stored ``blueprints`` row back as a record (JSON columns may come back as text)."""
        data = {k: json.loads(v) if isinstance(v, str) and k in _JSON_COLUMNS else v for k, v in row.items()}
        plan = data.pop("plan", None) or {}
        data |= {k: plan[k] for k in ("planner", "goals", "facts") if k in plan}
        return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields and v is not None})

    def plan_json(self) -> dict[str, Any]:
        return {
            "planner": self.planner,
            "goals": [g.model_dump(mode="json") for g in self.goals],
            "facts": [f.model_dump(mode="json") for f in self.facts],
        }

    def warehouse_row(self, run_id: str | None) -> dict[str, Any]:
        return {
            "blueprint_id": self.blueprint_id,
            "env_id": self.env_id,
            "calls": [c.model_dump(mode="json") for c in self.calls],
            "read_only": self.read_only,
            "n_calls": self.n_calls,
            "gold_state_hash": self.gold_state_hash,
            "gold_diff": list(self.gold_diff),
            "status": self.status,
            "reason": self.reason,
            "plan": self.plan_json(),
            "lineage_hash": content_hash({"env": self.env_id, "seed": self.seed}),
            "run_id": run_id,
        }


class Task(_Record):
    """A user instruction for a blueprint."""

    task_id: str = Field(description="Content hash of blueprint_id + instruction.")
    blueprint_id: str = Field(description="The blueprint this task asks for.")
    env_id: str = Field(description="Environment of the blueprint.")
    instruction: str = Field(description="What the user wants, carrying every value the agent needs.")
    writer: Literal["llm", "template"] = Field(description="Who wrote the instruction.")
    fallback_reason: str | None = Field(
        None, description="Why an LLM instruction was replaced by the template."
    )

    def warehouse_row(self, run_id: str | None) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "blueprint_id": self.blueprint_id,
            "env_id": self.env_id,
            "instruction": self.instruction,
            "writer": self.writer,
            "fallback_reason": self.fallback_reason,
            "lineage_hash": content_hash({"bp": self.blueprint_id, "writer": self.writer}),
            "run_id": run_id,
        }


Termination = Literal[
    "user_stop",  # the user simulator ended the conversation (the agent gave its final answer)
    "turn_limit",  # max_turns reached
    "repeated_failure",  # too many failed tool calls / broken replies in a row
    "repetition",  # the agent repeated the same reply or call endlessly
    "reverse",  # built from the blueprint (reverse mode)
]


class Usage(_Record):
    """Token and request accounting of one trajectory (all roles)."""

    prompt_tokens: int = Field(0, description="Prompt tokens reported by the endpoints.")
    completion_tokens: int = Field(0, description="Completion tokens reported by the endpoints.")
    requests: int = Field(0, description="LLM requests that got an answer.")
    retries: int = Field(0, description="Retried requests (429/5xx/timeouts/connection errors).")
    invalid_replies: int = Field(
        0, description="Replies that were broken (no choices, bad JSON, unknown tool, ...)."
    )


class Timings(_Record):
    """Where the wall-clock time of one trajectory went."""

    total_s: float = Field(0.0, description="From the first turn to termination.")
    agent_s: float = Field(0.0, description="Time waiting on the agent endpoint.")
    user_s: float = Field(0.0, description="Time in the user simulator.")
    env_s: float = Field(0.0, description="Time executing tool calls on the episode.")


class Issue(_Record):
    """A broken reply or failed call, recorded instead of crashing."""

    turn: int = Field(description="Agent turn index (0-based).")
    code: str = Field(
        description="invalid_reply | empty_reply | invalid_json_arguments | unknown_tool | tool_error | repetition"
        " | user_invalid_reply | reverse_wording_fallback"
    )
    detail: str = Field(description="Readable detail (truncated).")


class Trajectory(_Record):
    """One simulated conversation in OpenAI chat format, with its tools and outcome."""

    trajectory_id: str = Field(description="Hash of (env_id, blueprint_id, attempt, mode).")
    task_id: str = Field(description="The task that was played.")
    env_id: str = Field(description="Environment the episode ran on.")
    blueprint_id: str = Field(description="Blueprint of the task.")
    attempt: int = Field(0, ge=0, description="Attempt index for the same blueprint.")
    mode: Literal["forward", "reverse"] = Field(
        description="forward = simulated interplay; reverse = built from the blueprint."
    )
    messages: tuple[dict[str, Any], ...] = Field(description="OpenAI chat messages, system first.")
    tools: tuple[dict[str, Any], ...] = Field(description="OpenAI tool schemas the agent saw.")
    termination: Termination = Field(description="Why the conversation ended.")
    final_state_hash: str | None = Field(None, description="Episode state hash at the end.")
    issues: tuple[Issue, ...] = Field((), description="Broken replies and failed calls, with reasons.")
    usage: Usage = Field(default_factory=Usage)
    timings: Timings = Field(default_factory=Timings)

    @staticmethod
    def make_id(env_id: str, blueprint_id: str, attempt: int, mode: str) -> str:
        return content_hash({"env": env_id, "bp": blueprint_id, "attempt": attempt, "mode": mode})

    def warehouse_row(self, run_id: str | None) -> dict[str, Any]:
        return {
            "trajectory_id": self.trajectory_id,
            "task_id": self.task_id,
            "env_id": self.env_id,
            "blueprint_id": self.blueprint_id,
            "attempt": self.attempt,
            "mode": self.mode,
            "messages": list(self.messages),
            "tools": list(self.tools),
            "termination": self.termination,
            "usage": self.usage.model_dump(),
            "timings": self.timings.model_dump(),
            "final_state_hash": self.final_state_hash,
            "issues": [i.model_dump() for i in self.issues],
            "lineage_hash": content_hash({"task": self.task_id, "attempt": self.attempt, "mode": self.mode}),
            "run_id": run_id,
        }
