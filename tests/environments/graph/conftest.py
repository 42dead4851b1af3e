"""Small hand-made catalogs for the tool-graph tests, built from real ToolRecords."""

from __future__ import annotations

from typing import Any

import pytest

from envscale.environments.catalog.records import SourceRef, ToolRecord
from envscale.hashing import content_hash


def make_tool(
    name: str,
    params: dict[str, str] | None = None,
    *,
    required: list[str] | None = None,
    returns: dict[str, Any] | None = None,
    kind: str = "read",
    description: str = "",
    category: str | None = None,
) -> ToolRecord:
    """A ToolRecord from ``{param: type}``; every parameter required unless ``required`` says otherwise."""
    params = params or {}
    schema = {
        "type": "object",
        "properties": {p: {"type": t, "description": p.replace("_", " ")} for p, t in params.items()},
        "required": list(params) if required is None else required,
    }
    description = description or name.replace("_", " ")
    return ToolRecord(
        tool_id=content_hash({"name": name, "p": schema, "r": returns, "d": description}),
        name=name,
        original_name=name,
        description=description,
        parameters=schema,
        returns=returns,
        kind=kind,  # type: ignore[arg-type]
        kind_reason="test",
        source_format="openai",
        sources=(SourceRef(file="test", pointer=f"/{name}", format="openai"),),
        categories=(category,) if category else (),
    )


@pytest.fixture
def tool_factory():
    return make_tool
