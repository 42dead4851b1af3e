"""Judging one trial: the live episode's final state against the gold state, and exact calls for reads."""

from __future__ import annotations

from typing import Any

from envscale.environments.evaluation.records import EvalTask, TrialResult
from envscale.environments.runtime.contracts import Episode, RowChange, ToolResult
from envscale.environments.synthesis.records import Trajectory
from envscale.environments.validation.exact_match import first_mismatch
from envscale.environments.validation.records import ReplayedCall


class RecordingEpisode:
    """An episode that records every call's outcome, so the judge sees what the agent actually did."""

    def __init__(self, episode: Episode) -> None:
        self._episode = episode
        self.env_id = episode.env_id
        self.tools = episode.tools
        self.calls: list[ReplayedCall] = []

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        result = self._episode.call(name, arguments)
        self.calls.append(
            ReplayedCall(name=name, arguments=arguments, ok=result.ok, error_code=result.error_code)
        )
        return result

    def state_hash(self) -> str:
        return self._episode.state_hash()

    def diff(self) -> list[RowChange]:
        return self._episode.diff()

    def close(self) -> None:
        self._episode.close()


def judge_state(
    item: EvalTask, final_state_hash: str | None, episode: RecordingEpisode
) -> tuple[bool, bool | None, dict[str, Any] | None]:
    """The state part of the verdict (shared with the RL episode API and the MCP server): whether the
    final state is the gold state, and for read-only tasks whether the calls match (with the evidence)."""
    bp = item.blueprint
    db_match = final_state_hash == bp.gold_state_hash
    exact: bool | None = None
    mismatch = None
    if bp.read_only and item.exact_reads:
        mismatch = first_mismatch(episode.calls, bp.calls, {t.name: t for t in episode.tools})
        exact = mismatch is None
    return db_match, exact, mismatch


def judge(
    item: EvalTask,
    trajectory: Trajectory,
    episode: RecordingEpisode,
    *,
    env_assertions_ok: bool | None = None,
    actions_ok: bool | None = None,
) -> TrialResult:
    """A trial passes when its final state is the gold state and, for read-only tasks, its calls match.

    τ² tasks: the state counts only with DB in the basis (``item.check_state``); env assertions and
    gold actions (judged by the caller on the live episode, see ``dual_control``) must hold when given.
    """
    bp = item.blueprint
    db_match, exact, mismatch = judge_state(item, trajectory.final_state_hash, episode)
    outputs_ok: bool | None = None
    if item.outputs:
        # τ-bench's check: every output appears in some agent reply (case and thousands commas ignored).
        said = [
            str(m.get("content") or "").lower().replace(",", "")
            for m in trajectory.messages
            if m.get("role") == "assistant"
        ]
        outputs_ok = all(any(o.lower().replace(",", "") in s for s in said) for o in item.outputs)
    tool_calls = sum(
        len(m.get("tool_calls") or []) for m in trajectory.messages if m.get("role") == "assistant"
    )
    # Calls that never reached the episode (unparseable arguments) are failed calls too.
    error_calls = sum(not c.ok for c in episode.calls) + max(0, tool_calls - len(episode.calls))
    return TrialResult(
        task_id=item.task_id,
        env_id=bp.env_id,
        domain=item.domain,
        attempt=trajectory.attempt,
        passed=(db_match or not item.check_state)
        and exact is not False
        and outputs_ok is not False
        and env_assertions_ok is not False
        and actions_ok is not False,
        db_match=db_match,
        read_only=bp.read_only,
        exact_match=exact,
        outputs_ok=outputs_ok,
        n_gold_calls=bp.n_calls,
        turns=sum(1 for m in trajectory.messages if m.get("role") == "assistant"),
        tool_calls=tool_calls,
        error_calls=error_calls,
        termination=trajectory.termination,
        mismatch=mismatch,
        env_assertions_ok=env_assertions_ok,
        actions_ok=actions_ok,
    )
