"""Stage 3, function-calling exact match, for read-only blueprints where state cannot tell.

The agent's successful calls must equal the gold calls in order: same names,
same arguments after normalization (types coerced per schema, key order and
whitespace ignored). Calls that failed on replay are retries and do not count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from envscale.environments.runtime.contracts import EnvTool
from envscale.environments.synthesis.records import GoldCall
from envscale.environments.validation.normalize import normalize_arguments
from envscale.environments.validation.records import ReplayedCall


def first_mismatch(
    agent: Sequence[ReplayedCall], gold: Sequence[GoldCall], tools: Mapping[str, EnvTool]
) -> dict[str, Any] | None:
    """Evidence of the first difference between the agent's successful calls and the gold calls, or None."""

    def norm(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        tool = tools.get(name)
        return {"name": name, "arguments": normalize_arguments(arguments, tool.parameters if tool else None)}

    mine = [norm(c.name, c.arguments) for c in agent if c.ok]
    theirs = [norm(c.name, c.arguments) for c in gold]
    for position in range(max(len(mine), len(theirs))):
        a = mine[position] if position < len(mine) else None
        g = theirs[position] if position < len(theirs) else None
        if a != g:
            return {
                "position": position,
                "agent_call": a,
                "gold_call": g,
                "agent_sequence": [c["name"] for c in mine],
                "gold_sequence": [c["name"] for c in theirs],
            }
    return None
