"""The records validation produces: a verdict per trajectory and its state-change record."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from envscale.environments.runtime.contracts import ErrorCode

VerdictKind = Literal["accepted", "rejected", "quarantined"]
StageName = Literal["validity", "state_alignment", "exact_match", "contract"]

# Every reason code a verdict can carry, by stage (contract reasons are expectation names).
REASON_CODES: dict[str, tuple[str, ...]] = {
    "validity": (
        "bad_role_order",
        "unparseable_arguments",
        "unknown_tool",
        "schema_invalid_arguments",
        "repetition",
        "too_long",
        "too_short",
        "improper_ending",
        "missing_environment",
    ),
    "state_alignment": ("wrong_final_state", "replay_failed", "missing_blueprint"),
    "exact_match": ("wrong_read_sequence",),
}


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Verdict(_Record):
    """The outcome of validating one trajectory."""

    trajectory_id: str = Field(description="The trajectory judged.")
    verdict: VerdictKind = Field(
        description="accepted, rejected (a stage failed) or quarantined (a contract failed)."
    )
    stage: StageName | None = Field(
        None, description="Stage that rejected or quarantined it; None when accepted."
    )
    reason_code: str | None = Field(
        None, description="Why (a REASON_CODES entry, or the failing expectation's name)."
    )
    evidence: dict[str, Any] = Field(
        default_factory=dict, description="The offending call, the differing rows, ..."
    )

    @classmethod
    def accept(cls, trajectory_id: str) -> Verdict:
        return cls(trajectory_id=trajectory_id, verdict="accepted")

    @classmethod
    def reject(cls, trajectory_id: str, stage: StageName, reason_code: str, **evidence: Any) -> Verdict:
        return cls(
            trajectory_id=trajectory_id,
            verdict="rejected",
            stage=stage,
            reason_code=reason_code,
            evidence=evidence,
        )


class ParsedCall(_Record):
    """One assistant tool call as the agent wrote it, parsed."""

    index: int = Field(description="Position among the trajectory's tool calls (0-based).")
    message: int = Field(description="Index of the assistant message holding it.")
    call_id: str | None = Field(None, description="The tool_call id, when given.")
    name: str = Field(description="Tool name the agent used.")
    raw_arguments: Any = Field(None, description="Arguments as written (usually a JSON string).")
    arguments: dict[str, Any] | None = Field(
        None, description="Parsed arguments; None when they did not parse."
    )

    def evidence(self) -> dict[str, Any]:
        raw = self.raw_arguments if isinstance(self.raw_arguments, str) else self.arguments
        return {"index": self.index, "message": self.message, "name": self.name, "arguments": raw}


class ReplayedCall(_Record):
    """A call replayed on the fresh episode, and what it did."""

    name: str = Field(description="Tool name.")
    arguments: dict[str, Any] = Field(description="Arguments replayed.")
    ok: bool = Field(description="Whether the call succeeded on replay.")
    error_code: ErrorCode | None = Field(None, description="ToolResult.error_code when it failed.")


class StateChangeRecord(_Record):
    """How one trajectory changed its environment: the replay's row-level diff."""

    trajectory_id: str = Field(description="The trajectory replayed.")
    env_id: str = Field(description="Environment replayed on.")
    final_state_hash: str = Field(description="Episode state hash after the last call.")
    changes: tuple[dict[str, Any], ...] = Field(
        (), description="RowChange dumps: table, key, op, before, after."
    )
    declared_tables: tuple[str, ...] = Field(
        (), description="Tables the called write tools declare they may write."
    )
    called_tools: tuple[str, ...] = Field((), description="Distinct tools called, in first-call order.")
    n_failed_calls: int = Field(
        0, description="Calls that returned an error on replay (allowed if the goal is reached)."
    )


class Outcome(_Record):
    """Everything validation learned about one trajectory (the funnel reads the flags)."""

    trajectory_id: str = Field(description="The trajectory.")
    env_id: str = Field(description="Its environment.")
    verdict: Verdict = Field(description="Verdict after stages 1-3 (contracts may quarantine it later).")
    valid: bool = Field(description="Passed validity control.")
    aligned: bool = Field(description="Passed state alignment.")
    exact: bool = Field(description="Passed exact match (True for write blueprints, where state decides).")
    state: StateChangeRecord | None = Field(
        None, description="The replay's state changes (None when not replayed)."
    )
