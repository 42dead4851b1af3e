"""normalize: one raw tool becomes a ToolRecord (named, kinded, schema repaired) or a Rejection with its code."""

from __future__ import annotations

import pytest

from envscale.environments.catalog.formats.base import ParseContext, RawTool
from envscale.environments.catalog.normalize import normalize
from envscale.environments.catalog.records import Rejection, ToolRecord
from envscale.environments.catalog.schema import Limits

CTX = ParseContext(file="/src/t.json", fmt="openai")


def _raw(**over) -> RawTool:
    fields = {
        "name": "get_order",
        "description": "Return an order.",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
        "pointer": "/0",
        "fmt": "openai",
    }
    return RawTool(**{**fields, **over})


def test_a_good_tool_becomes_a_record_with_a_content_id():
    record = normalize(_raw(), CTX, Limits())
    assert isinstance(record, ToolRecord)
    assert (record.name, record.kind, record.kind_reason) == ("get_order", "read", "name verb 'get'")
    assert record.sources[0].file == "/src/t.json" and record.sources[0].pointer == "/0"
    again = normalize(_raw(), CTX, Limits())
    other = normalize(_raw(description="Return one order."), CTX, Limits())
    assert again.tool_id == record.tool_id != other.tool_id


def test_missing_pieces_are_filled_in_and_noted():
    record = normalize(
        _raw(name="  lookupZip ", description=None, parameters=None, namespace="Geo"), CTX, Limits()
    )
    assert record.original_name == "lookupZip"
    assert record.description == "Lookup zip (Geo)."
    assert record.parameters == {"type": "object", "properties": {}}
    assert "no parameters in the source: takes no arguments" in record.notes
    assert "description generated from the name (the source has none)" in record.notes


def test_required_names_no_property_defines_are_dropped():
    params = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "ghost"]}
    record = normalize(_raw(parameters=params), CTX, Limits())
    assert record.parameters["required"] == ["a"]
    assert any("ghost" in note for note in record.notes)


def test_explicit_evidence_beats_the_name():
    record = normalize(_raw(kind_evidence=("write", "HTTP method POST")), CTX, Limits())
    assert (record.kind, record.kind_reason) == ("write", "HTTP method POST")


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"name": None}, "missing_name"),
        ({"name": "   "}, "missing_name"),
        ({"name": 42}, "invalid_field"),
        ({"name": "x" * 1001}, "invalid_field"),
        ({"description": ["not", "text"]}, "invalid_field"),
        ({"description": "d" * 101}, "description_too_long"),
        ({"parameters": {"type": "string"}}, "parameters_not_object"),
        ({"parameters": {"type": "object", "properties": {"a": {"type": "nonsense"}}}}, "invalid_schema"),
    ],
)
def test_broken_tools_are_rejections_with_a_code(over, code):
    result = normalize(_raw(**over), CTX, Limits(max_string=100))
    assert isinstance(result, Rejection)
    assert result.reason_code == code and result.source.pointer == "/0"


def test_an_invalid_return_schema_is_dropped_not_fatal():
    record = normalize(_raw(returns={"type": 5}), CTX, Limits())
    assert isinstance(record, ToolRecord) and record.returns is None
    assert any(note.startswith("return schema dropped") for note in record.notes)
