"""Exact duplicates merge with every source kept; near duplicates are flagged; names are unique and stable."""

from __future__ import annotations

from envscale.config import IngestSettings
from envscale.environments.catalog.ingest import ingest_paths
from envscale.environments.catalog.naming import NameAllocator, slugify


def _fn(name, description="Return the order with the given id.", props=None):
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": props or {"order_id": {"type": "string"}}},
        },
    }


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


def test_same_name_different_content_collides_deterministically(write) -> None:
    a = write(
        "a.json",
        {"tools": {"retail": [_fn("get_order")], "airline": [_fn("get_order", "Return an airline order.")]}},
    )
    first = ingest_paths([a])
    names = [t.name for t in first.tools]
    assert names == ["get_order", "airline_get_order"]  # namespace prefix for the later one
    again = ingest_paths([a])
    assert [t.name for t in again.tools] == names
    assert [t.tool_id for t in again.tools] == [t.tool_id for t in first.tools]


def test_collision_falls_back_to_hash_suffix(write) -> None:
    src = write("x.json", [_fn("Get Order!"), _fn("get-order?", "Other."), _fn("get order", "Third.")])
    tools = ingest_paths([src]).tools
    names = [t.name for t in tools]
    assert names[0] == "Get_Order"
    # case-insensitive uniqueness; no namespace -> content-hash suffix
    assert names[1] == "get-order"
    assert names[2] == f"get_order_{tools[2].tool_id[:6]}"
    assert len({n.lower() for n in names}) == 3


def test_slugify_is_openai_safe_and_bounded() -> None:
    long = "a" * 100
    slug = slugify(long)
    assert len(slug) == 64 and slug != slugify("a" * 99)
    assert slugify("math.factorial") == "math_factorial"
    assert slugify("...") == "tool"
    alloc = NameAllocator(["x"])
    assert not alloc.is_free("X")


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
