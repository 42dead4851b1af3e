"""OpenAI function lists (wrapped, bare, JSONL) are detected and normalized into ToolRecords, field by field."""

from __future__ import annotations

from envscale.environments.catalog.ingest import ingest_paths
from tests.support.catalog import by_name


def test_openai_wrapped_bare_and_jsonl(write, fn) -> None:
    write("a.json", {"tools": [fn("get_order", props={"order_id": {"type": "string"}}), fn("cancel_order")]})
    write(
        "b.json",
        {
            "name": "lookup_zip",
            "description": "Find a zip code.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    )
    src = write("c.jsonl", [fn("create_user"), {"name": "ping", "description": "Ping."}])
    result = ingest_paths([src.parent])
    tools = by_name(result)
    assert set(tools) == {"get_order", "cancel_order", "lookup_zip", "create_user", "ping"}
    assert {s.format for s in result.sources} == {"openai"}
    t = tools["get_order"]
    assert t.kind == "read" and t.kind_reason == "name verb 'get'"
    assert t.parameters == {"type": "object", "properties": {"order_id": {"type": "string"}}}
    assert t.sources[0].pointer == "/tools/0/function"
    assert t.sources[0].file.endswith("a.json")
    assert tools["cancel_order"].kind == "write"
    assert tools["create_user"].sources[0].pointer == "line:1#/function"
    # a bare function without parameters takes no arguments
    assert tools["ping"].parameters == {"type": "object", "properties": {}}
    assert tools["ping"].sources[0].pointer == "line:2"
    assert not result.rejections
