"""Exact duplicates merge with every source kept; near duplicates are flagged; the strongest kind evidence wins."""

from __future__ import annotations

from envscale.config import IngestSettings
from envscale.environments.catalog.ingest import ingest_paths
from tests.support.catalog import order_fn as _fn


def test_exact_duplicates_merge_keeping_every_source(write) -> None:
    a = write("a.json", [_fn("get_order"), _fn("get_order")])
    b = write("b.jsonl", [_fn("get_order")])
    result = ingest_paths([a, b])
    (t,) = result.tools
    assert [(s.file.rsplit("/", 1)[-1], s.pointer) for s in t.sources] == [
        ("a.json", "/0/function"),
        ("a.json", "/1/function"),
        ("b.jsonl", "line:1#/function"),
    ]
    assert result.n_merged == 2
    stats = {s.file.rsplit("/", 1)[-1]: s for s in result.sources}
    assert (stats["a.json"].accepted, stats["a.json"].merged) == (1, 1)
    assert (stats["b.jsonl"].accepted, stats["b.jsonl"].merged) == (0, 1)


def test_near_duplicates_are_flagged_against_the_earlier_tool(write) -> None:
    base = "Return the order with the given id including items totals status and shipping address for the customer"
    src = write(
        "n.json",
        [
            _fn("get_order", base),
            _fn("fetch_order", base + " now"),  # nearly the same words and parameters
            _fn("list_products", "List every product in a category", {"category": {"type": "string"}}),
        ],
    )
    tools = ingest_paths([src], settings=IngestSettings(near_duplicate_threshold=0.9)).tools
    assert tools[1].near_duplicate_of == tools[0].tool_id
    assert tools[0].near_duplicate_of is None and tools[2].near_duplicate_of is None
    strict = ingest_paths([src], settings=IngestSettings(near_duplicate_threshold=1.0)).tools
    assert all(t.near_duplicate_of is None for t in strict)


def test_merge_keeps_strongest_kind_evidence(write) -> None:
    plain = write(
        "a.json",
        [{"name": "lookup", "description": "Look.", "inputSchema": {"type": "object", "properties": {}}}],
    )
    annotated = write(
        "b.json",
        {
            "tools": [
                {
                    "name": "lookup",
                    "description": "Look.",
                    "inputSchema": {"type": "object", "properties": {}},
                    "annotations": {"readOnlyHint": False},
                }
            ]
        },
    )
    (t,) = ingest_paths([plain, annotated], format="mcp").tools
    assert (t.kind, t.kind_reason) == ("write", "MCP annotation readOnlyHint=false")
