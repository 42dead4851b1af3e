"""Helpers shared by the catalog tests: tool entries and lookups over an ingest result."""

from __future__ import annotations

from envscale.environments.catalog.records import ToolRecord


def by_name(result) -> dict[str, ToolRecord]:
    return {t.name: t for t in result.tools}


def order_fn(name, description="Return the order with the given id.", props=None):
    """An OpenAI-wrapped function entry whose default parameters are one `order_id`."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": props or {"order_id": {"type": "string"}}},
        },
    }
