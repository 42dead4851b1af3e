"""Exact match: the agent's successful calls must equal the gold calls in order, after normalization."""

from __future__ import annotations

from envscale.environments.runtime.contracts import EnvTool
from envscale.environments.synthesis.records import GoldCall
from envscale.environments.validation.exact_match import first_mismatch
from envscale.environments.validation.records import ReplayedCall

TOOLS = {
    "get_order": EnvTool(
        name="get_order",
        description="Get an order.",
        parameters={
            "type": "object",
            "properties": {"order_id": {"type": "string"}, "n": {"type": "integer"}},
        },
        kind="read",
    )
}
GOLD = [
    GoldCall(name="get_order", arguments={"order_id": "o1", "n": 2}, kind="read", ok=True),
    GoldCall(name="get_order", arguments={"order_id": "o2", "n": 1}, kind="read", ok=True),
]


def _agent(*calls):
    return [ReplayedCall(name="get_order", arguments=a, ok=ok) for a, ok in calls]


def test_same_calls_after_coercion_and_failed_retries_match():
    agent = _agent(
        ({"order_id": "o9"}, False), ({"n": "2", "order_id": "o1"}, True), ({"order_id": "o2", "n": 1}, True)
    )
    assert first_mismatch(agent, GOLD, TOOLS) is None


def test_the_first_difference_is_the_evidence():
    found = first_mismatch(
        _agent(({"order_id": "o1", "n": 2}, True), ({"order_id": "o3", "n": 1}, True)), GOLD, TOOLS
    )
    assert found["position"] == 1
    assert found["agent_call"] == {"name": "get_order", "arguments": {"order_id": "o3", "n": 1}}
    assert found["gold_call"]["arguments"] == {"order_id": "o2", "n": 1}


def test_a_missing_call_is_a_mismatch_at_the_end():
    found = first_mismatch(_agent(({"order_id": "o1", "n": 2}, True)), GOLD, TOOLS)
    assert (found["position"], found["agent_call"]) == (1, None)
    assert found["agent_sequence"] == ["get_order"] and found["gold_sequence"] == ["get_order", "get_order"]
