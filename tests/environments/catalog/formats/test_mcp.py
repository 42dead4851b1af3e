"""MCP tools/list documents are normalized into ToolRecords, annotations included."""

from __future__ import annotations

from envscale.environments.catalog.ingest import ingest_paths
from tests.support.catalog import by_name


def test_mcp_tools_list_with_annotations(write) -> None:
    rpc = {
        "jsonrpc": "2.0",
        "id": 3,
        "result": {
            "tools": [
                {
                    "name": "fetch_page",
                    "description": "Fetch.",
                    "inputSchema": {"type": "object", "properties": {"url": {"type": "string"}}},
                    "annotations": {"readOnlyHint": True},
                },
                {
                    "name": "get_then_delete",
                    "description": "Odd.",
                    "inputSchema": {"type": "object"},
                    "annotations": {"destructiveHint": True},
                },
                {
                    "name": "report",
                    "description": "Report.",
                    "inputSchema": {"type": "object"},
                    "outputSchema": {"type": "object", "properties": {"ok": {"type": "boolean"}}},
                },
            ]
        },
    }
    result = ingest_paths([write("mcp.json", rpc)])
    tools = by_name(result)
    assert result.sources[0].format == "mcp"
    assert (tools["fetch_page"].kind, tools["fetch_page"].kind_reason) == (
        "read",
        "MCP annotation readOnlyHint=true",
    )
    # the annotation beats the name's 'get'
    assert (tools["get_then_delete"].kind, tools["get_then_delete"].kind_reason) == (
        "write",
        "MCP annotation destructiveHint=true",
    )
    assert tools["report"].returns == {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    assert tools["report"].parameters == {"type": "object", "properties": {}}
    assert tools["report"].sources[0].pointer == "/result/tools/2"
