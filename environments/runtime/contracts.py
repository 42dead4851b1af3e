"""The runtime's public types: what every later stage (and RL users) program against.

An environment exposes tools; an episode is an isolated copy of its state on
which tools are called. Agent mistakes (unknown tool, invalid arguments, a
failed precondition) come back as ``ToolResult(ok=False, error=...)``, never as
exceptions.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field


class EnvTool(BaseModel):
    """A tool of an environment, as agents see it and as evaluation treats it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Tool name, unique within the environment.")
    description: str = Field(description="Shown to the agent.")
    parameters: dict[str, Any] = Field(description="JSON Schema of the arguments (type=object).")
    kind: Literal["read", "write"] = Field(description="Read tools never change state; write tools may.")
    writes: tuple[str, ...] = Field((), description="Tables a write tool may change (empty for reads).")

    def openai_schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


class ToolCall(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


# Machine-readable reasons a call failed; agents see them next to the readable error.
ErrorCode = Literal[
    "unknown_tool",  # no tool of that name in the environment
    "invalid_arguments",  # the arguments break the tool's JSON Schema
    "precondition_failed",  # the state does not allow the call (no such row, a business rule)
    "refused",  # the sandbox refused the tool's program
    "execution_error",  # the program failed or ran past its time limit; the state is unchanged
    "episode_done",  # the episode is over (RL API); reset it
]


class ToolResult(BaseModel):
    """The outcome of one call: JSON-serializable content, or an error the agent can read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    content: Any = Field(None, description="JSON-serializable result (rows, the written row, a message).")
    error: str | None = Field(None, description="Human-readable error shown to the agent when ok is False.")
    error_code: ErrorCode | None = Field(None, description="Machine-readable reason when ok is False.")


class RowChange(BaseModel):
    """One row-level change since the episode opened."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: str
    key: dict[str, Any] = Field(description="Primary-key columns and values.")
    op: Literal["insert", "update", "delete"]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class Episode(Protocol):
    """An isolated run over one environment. Close it to discard its state."""

    env_id: str
    tools: tuple[EnvTool, ...]

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult: ...

    def state_hash(self) -> str: ...

    def diff(self) -> list[RowChange]: ...

    def query(self, sql: str, params: dict[str, Any] | list[Any] | None = None) -> list[dict[str, Any]]:
        """Read the current state with one checked SELECT (trusted callers: samplers, verifiers)."""
        ...

    def close(self) -> None: ...
