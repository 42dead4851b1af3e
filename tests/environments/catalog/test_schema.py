"""Source schemas to JSON Schema 2020-12: dialect mappings, object repair, validity and $ref safety."""

from __future__ import annotations

import pytest

from envscale.environments.catalog.schema import (
    Limits,
    SchemaProblem,
    check_refs,
    object_schema,
    repair_required,
    schema_error,
    shape_to_schema,
    to_json_schema,
)


def test_openapi_dialect_is_mapped_and_noted():
    notes: set[str] = set()
    out = to_json_schema(
        {
            "type": "object",
            "properties": {
                "n": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
                "s": {"type": "string", "nullable": True, "required": True},
                "t": {"type": "array", "items": [{"type": "string"}]},
            },
        },
        limits=Limits(),
        notes=notes,
    )
    props = out["properties"]
    assert props["n"] == {"type": "integer", "exclusiveMinimum": 0}
    assert props["s"] == {"type": ["string", "null"]}
    assert props["t"] == {"type": "array", "prefixItems": [{"type": "string"}]}
    assert out["required"] == ["s"]
    assert "OpenAPI 'nullable' mapped to a 'null' type" in notes


def test_limits_raise_schema_problems_with_codes():
    deep: dict = {"type": "string"}
    for _ in range(10):
        deep = {"type": "array", "items": deep}
    with pytest.raises(SchemaProblem) as too_deep:
        to_json_schema(deep, limits=Limits(max_depth=5), notes=set())
    assert too_deep.value.code == "schema_too_deep"
    with pytest.raises(SchemaProblem) as too_long:
        to_json_schema({"description": "d" * 20}, limits=Limits(max_string=10), notes=set())
    assert too_long.value.code == "description_too_long"


def test_object_schema_fills_in_the_type_or_refuses():
    notes: set[str] = set()
    assert object_schema({}, notes) == {"type": "object", "properties": {}}
    assert object_schema({"type": "object"}, notes) == {"type": "object", "properties": {}}
    for bad in ({"type": "string"}, ["x"]):
        with pytest.raises(SchemaProblem) as problem:
            object_schema(bad, notes)
        assert problem.value.code == "parameters_not_object"


def test_repair_required_drops_only_undefined_names_in_closed_objects():
    notes: set[str] = set()
    schema = {"type": "object", "properties": {"a": {}}, "required": ["a", "b"]}
    assert repair_required(schema, notes) == {"type": "object", "properties": {"a": {}}, "required": ["a"]}
    open_ = {**schema, "additionalProperties": True}
    assert repair_required(open_, set()) == open_  # b may be an additional property
    nested = {"type": "object", "properties": {"x": {"type": "object", "properties": {}, "required": ["z"]}}}
    assert "required" not in repair_required(nested, notes)["properties"]["x"]
    assert any("in x" in n for n in notes)


def test_schema_error_points_at_the_problem():
    assert schema_error({"type": "object", "properties": {"a": {"type": "string"}}}) is None
    assert schema_error({"type": "object", "properties": {"a": {"type": "strng"}}})
    assert schema_error({"type": "object", "required": "a"})


def test_shape_to_schema_from_a_toolbench_template():
    assert shape_to_schema({"status": "str", "items": [{"n": "int"}], "other": None}) == {
        "type": "object",
        "properties": {
            "status": {"type": "string"},
            "items": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}},
            "other": {},
        },
    }


def test_check_refs_refuses_dangling_and_non_descending_cycles():
    check_refs({"$defs": {"Node": {"properties": {"kids": {"items": {"$ref": "#/$defs/Node"}}}}}})  # descends
    with pytest.raises(SchemaProblem) as dangling:
        check_refs({"properties": {"a": {"$ref": "#/$defs/Missing"}}})
    assert dangling.value.code == "unresolved_ref"
    with pytest.raises(SchemaProblem) as external:
        check_refs({"properties": {"a": {"$ref": "https://example.com/s.json"}}})
    assert external.value.code == "unresolved_ref"
    with pytest.raises(SchemaProblem) as cycle:
        check_refs(
            {
                "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"allOf": [{"$ref": "#/$defs/A"}]}},
                "$ref": "#/$defs/A",
            }
        )
    assert cycle.value.code == "invalid_schema"
