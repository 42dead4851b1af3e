"""tau-bench tool_info documents are normalized into ToolRecords, explicit kinds kept."""

from __future__ import annotations

from envscale.environments.catalog.ingest import ingest_paths
from tests.support.catalog import by_name


def test_taubench_tool_info_with_explicit_kind(write, fn) -> None:
    info = {
        "tools": {
            "retail": [fn("get_order"), fn("think", description="Think.")],
            "airline": [fn("think", description="Think."), {**fn("notify"), "kind": "write"}],
        },
        "tasks": {"retail/test": [{"user_id": "u"}]},
    }
    result = ingest_paths([write("tau.json", info)])
    tools = by_name(result)
    assert result.sources[0].format == "taubench"
    assert set(tools) == {"get_order", "think", "notify"}
    assert tools["think"].categories == ("retail", "airline")  # identical in both domains: merged
    assert (tools["notify"].kind, tools["notify"].kind_reason) == ("write", "source field kind='write'")
