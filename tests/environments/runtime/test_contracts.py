"""The runtime's records: a tool renders as an OpenAI entry; results and calls are frozen and strict."""

from __future__ import annotations

import pydantic
import pytest

from envscale.environments.runtime.contracts import EnvTool, RowChange, ToolCall, ToolResult

TOOL = EnvTool(
    name="cancel_order",
    description="Cancel an order.",
    parameters={"type": "object", "properties": {"order_id": {"type": "string"}}},
    kind="write",
    writes=("orders",),
)


def test_env_tool_as_openai_schema():
    assert TOOL.openai_schema() == {
        "type": "function",
        "function": {
            "name": "cancel_order",
            "description": "Cancel an order.",
            "parameters": TOOL.parameters,
        },
    }


def test_records_refuse_unknown_values_and_fields():
    with pytest.raises(pydantic.ValidationError):
        ToolResult(ok=False, error="x", error_code="crashed")
    with pytest.raises(pydantic.ValidationError):
        RowChange(table="orders", key={"order_id": "o1"}, op="upsert")
    with pytest.raises(pydantic.ValidationError):
        ToolCall(name="t", arguments={}, extra=1)
    with pytest.raises(pydantic.ValidationError):
        TOOL.kind = "read"  # type: ignore[misc]
    assert ToolCall(name="t").arguments == {}
    assert ToolResult(ok=False, error="gone", error_code="episode_done").content is None
