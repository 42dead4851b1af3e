"""Stages 1-3 over one environment: validity, state alignment, exact match."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

from envscale.environments.runtime.contracts import EnvTool, Episode
from envscale.environments.synthesis.records import Blueprint, Trajectory
from envscale.environments.validation.alignment import differing_rows, replay
from envscale.environments.validation.exact_match import first_mismatch
from envscale.environments.validation.records import (
    Outcome,
    ParsedCall,
    ReplayedCall,
    StateChangeRecord,
    Verdict,
)
from envscale.environments.validation.validity import ArgumentValidators, check_validity
from envscale.hashing import canonical_json


class EnvironmentValidator:
    """Validates trajectories of one environment; build once, call per trajectory.

    ``open_episode`` opens a fresh episode of the environment (the replay's
    clean slate); ``tools`` are the environment's tools, which a call must name.
    """

    def __init__(
        self,
        env_id: str,
        tools: Sequence[EnvTool],
        open_episode: Callable[[], Episode],
        *,
        ngram_size: int = 4,
        max_repetition_ratio: float = 0.5,
        max_messages: int = 64,
        max_chars: int = 32_000,
        memo_size: int = 4096,
    ) -> None:
        self.env_id = env_id
        self.tools = {t.name: t for t in tools}
        self.open_episode = open_episode
        self.validators = ArgumentValidators(self.tools)
        # Replays are deterministic (fresh episode, fixed clock, deterministic new ids), so equal
        # call sequences (attempts of one blueprint, agents that solve it alike) replay once.
        self._memo: OrderedDict[str, tuple[StateChangeRecord, list[ReplayedCall]]] = OrderedDict()
        self.memo_size = memo_size
        self.replays = 0
        self.memo_hits = 0
        self.limits = {
            "ngram_size": ngram_size,
            "max_repetition_ratio": max_repetition_ratio,
            "max_messages": max_messages,
            "max_chars": max_chars,
        }

    def validate(self, trajectory: Trajectory, blueprint: Blueprint | None) -> Outcome:
        tid = trajectory.trajectory_id

        def outcome(
            verdict: Verdict, *, valid: bool = False, aligned: bool = False, exact: bool = False, state=None
        ):
            return Outcome(
                trajectory_id=tid,
                env_id=self.env_id,
                verdict=verdict,
                valid=valid,
                aligned=aligned,
                exact=exact,
                state=state,
            )

        # Stage 1: validity control.
        rejection, calls = check_validity(trajectory, self.tools, self.validators, **self.limits)
        if rejection is not None:
            return outcome(rejection)
        if blueprint is None:
            return outcome(
                Verdict.reject(
                    tid, "state_alignment", "missing_blueprint", blueprint_id=trajectory.blueprint_id
                ),
                valid=True,
            )
        # Stage 2: replay on a fresh episode; the final state must be the gold state.
        try:
            state, replayed = self._replay(tid, calls)
        except Exception as exc:  # a runtime fault is a verdict with its reason, never a lost trajectory
            return outcome(
                Verdict.reject(
                    tid, "state_alignment", "replay_failed", error=f"{type(exc).__name__}: {exc}"[:500]
                ),
                valid=True,
            )
        if state.final_state_hash != blueprint.gold_state_hash:
            verdict = Verdict.reject(
                tid,
                "state_alignment",
                "wrong_final_state",
                final_state_hash=state.final_state_hash,
                gold_state_hash=blueprint.gold_state_hash,
                differing_rows=differing_rows(state.changes, blueprint.gold_diff),
                failed_calls=[r.model_dump() for r in replayed if not r.ok][:10],
            )
            return outcome(verdict, valid=True, state=state)
        # Stage 3: for read-only blueprints the state cannot tell, so the reads must match.
        if blueprint.read_only:
            mismatch = first_mismatch(replayed, blueprint.calls, self.tools)
            if mismatch is not None:
                verdict = Verdict.reject(tid, "exact_match", "wrong_read_sequence", **mismatch)
                return outcome(verdict, valid=True, aligned=True, state=state)
        return outcome(Verdict.accept(tid), valid=True, aligned=True, exact=True, state=state)

    def _replay(self, tid: str, calls: list[ParsedCall]) -> tuple[StateChangeRecord, list[ReplayedCall]]:
        key = canonical_json([(c.name, c.arguments) for c in calls])
        hit = self._memo.get(key)
        if hit is not None:
            self.memo_hits += 1
            self._memo.move_to_end(key)
            return hit[0].model_copy(update={"trajectory_id": tid}), hit[1]
        self.replays += 1
        state, replayed = replay(tid, self.env_id, self.open_episode, calls, self.tools)
        if self.memo_size:
            self._memo[key] = (state, replayed)
            if len(self._memo) > self.memo_size:
                self._memo.popitem(last=False)
        return state, replayed
