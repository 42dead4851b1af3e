"""Catalog records: frozen, strict about their fields, and a ToolRecord renders as an OpenAI tools= entry."""

from __future__ import annotations

import pydantic
import pytest

from envscale.environments.catalog.records import TOOL_KINDS, SourceRef, ToolRecord


def _record(**over) -> ToolRecord:
    fields = {
        "tool_id": "abc",
        "name": "get_order",
        "original_name": "getOrder",
        "description": "Return an order.",
        "parameters": {"type": "object", "properties": {}},
        "kind": "read",
        "kind_reason": "name verb 'get'",
        "source_format": "openai",
        "sources": (SourceRef(file="a.json", pointer="/0", format="openai"),),
    }
    return ToolRecord(**{**fields, **over})


def test_openai_schema_uses_the_canonical_name():
    assert _record().openai_schema() == {
        "type": "function",
        "function": {
            "name": "get_order",
            "description": "Return an order.",
            "parameters": {"type": "object", "properties": {}},
        },
    }


def test_records_are_frozen_and_strict():
    record = _record()
    with pytest.raises(pydantic.ValidationError):
        record.name = "other"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        _record(colour="red")
    with pytest.raises(pydantic.ValidationError):
        _record(kind="delete")
    assert TOOL_KINDS == ("read", "write", "unknown")
