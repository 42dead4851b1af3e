"""BFCL question files and function docs are normalized into ToolRecords."""

from __future__ import annotations

from envscale.environments.catalog.ingest import ingest_paths
from tests.support.catalog import by_name


def test_bfcl_question_file_types_and_merge(write) -> None:
    shared = {
        "name": "geo.distance",
        "description": "Distance between two points.",
        "parameters": {
            "type": "dict",
            "properties": {
                "a": {"type": "tuple", "items": {"type": "float"}},
                "b": {"type": "tuple", "items": [{"type": "float"}, {"type": "float"}]},
                "unit": {"type": "string", "enum": ["km", "mi"]},
                "extra": {"type": "any"},
                "opts": {"type": "HashMap", "description": "Java-typed."},
            },
            "required": ["a", "b"],
        },
    }
    src = write(
        "BFCL_v4_demo.json",
        [
            {"id": "simple_python_0", "question": [[{"role": "user", "content": "?"}]], "function": [shared]},
            {
                "id": "live_multiple_3-1-0",
                "question": [],
                "function": [shared, {**shared, "name": "geo.area"}],
            },
        ],
    )
    result = ingest_paths([src])
    tools = by_name(result)
    assert set(tools) == {"geo_distance", "geo_area"}
    t = tools["geo_distance"]
    assert t.original_name == "geo.distance" and t.source_format == "bfcl"
    assert t.parameters["properties"] == {
        "a": {"type": "array", "items": {"type": "number"}},
        "b": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}]},
        "unit": {"type": "string", "enum": ["km", "mi"]},
        "extra": {},
        "opts": {"type": "object", "description": "Java-typed."},
    }
    assert [s.pointer for s in t.sources] == ["/0/function/0", "/1/function/0"]
    assert t.categories == ("simple_python", "live_multiple")
    assert result.n_merged == 1
    assert "type 'dict' mapped to 'object'" in t.notes


def test_bfcl_func_doc_with_response(write) -> None:
    doc = {
        "name": "add",
        "description": "Add two numbers.",
        "parameters": {
            "type": "dict",
            "properties": {"a": {"type": "float"}, "b": {"type": "float"}},
            "required": ["a", "b"],
        },
        "response": {"type": "dict", "properties": {"result": {"type": "float"}}},
    }
    result = ingest_paths([write("multi_turn_func_doc/math_api.json", [doc])])
    (t,) = result.tools
    assert t.source_format == "bfcl" and t.namespace == "math_api"
    assert t.returns == {"type": "object", "properties": {"result": {"type": "number"}}}
