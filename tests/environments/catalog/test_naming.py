"""Tool names are unique (case-insensitively), stable across runs and OpenAI-safe."""

from __future__ import annotations

from envscale.environments.catalog.ingest import ingest_paths
from envscale.environments.catalog.naming import NameAllocator, slugify
from tests.support.catalog import order_fn as _fn


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
