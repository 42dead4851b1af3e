"""Stage 2, state alignment: replay the agent's calls on a fresh episode and compare final states.

A trajectory is aligned when its replay ends in the blueprint's gold state;
calls that returned errors along the way do not matter if the goal is reached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from envscale.environments.runtime.contracts import EnvTool, Episode
from envscale.environments.validation.records import ParsedCall, ReplayedCall, StateChangeRecord
from envscale.hashing import canonical_json

MAX_EVIDENCE_ROWS = 20


def replay(
    trajectory_id: str,
    env_id: str,
    open_episode: Callable[[], Episode],
    calls: Sequence[ParsedCall],
    tools: Mapping[str, EnvTool],
) -> tuple[StateChangeRecord, list[ReplayedCall]]:
    """Run ``calls`` in order on a fresh episode; the state-change record and each call's outcome."""
    episode = open_episode()
    try:
        replayed = []
        for call in calls:
            result = episode.call(call.name, call.arguments or {})
            replayed.append(
                ReplayedCall(
                    name=call.name, arguments=call.arguments or {}, ok=result.ok, error_code=result.error_code
                )
            )
        final_hash = episode.state_hash()
        changes = tuple(c.model_dump(mode="json") for c in episode.diff())
    finally:
        episode.close()
    called = tuple(dict.fromkeys(c.name for c in calls))
    declared = tuple(
        dict.fromkeys(
            t for name in called if name in tools and tools[name].kind == "write" for t in tools[name].writes
        )
    )
    record = StateChangeRecord(
        trajectory_id=trajectory_id,
        env_id=env_id,
        final_state_hash=final_hash,
        changes=changes,
        declared_tables=declared,
        called_tools=called,
        n_failed_calls=sum(not r.ok for r in replayed),
    )
    return record, replayed


def differing_rows(agent: Sequence[dict[str, Any]], gold: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows whose net change differs between the agent's replay and the gold run (evidence)."""

    def index(changes: Sequence[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(c["table"], canonical_json(c["key"])): c for c in changes}

    mine, theirs = index(agent), index(gold)
    rows = []
    for ref in sorted(mine.keys() | theirs.keys()):
        a, g = mine.get(ref), theirs.get(ref)
        if a is not None and g is not None and (a["op"], a.get("after")) == (g["op"], g.get("after")):
            continue
        rows.append(
            {
                "table": ref[0],
                "key": (a or g)["key"],
                "agent": None if a is None else {"op": a["op"], "after": a.get("after")},
                "gold": None if g is None else {"op": g["op"], "after": g.get("after")},
            }
        )
        if len(rows) >= MAX_EVIDENCE_ROWS:
            break
    return rows
