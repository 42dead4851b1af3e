"""The one-table ``notes`` schema that builder tests hand back as the LLM's design, and its list tool."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

NOTES_SCHEMA: dict[str, Any] = {
    "tables": [
        {
            "name": "notes",
            "primary_key": ["note_id"],
            "columns": [
                {"name": "note_id", "type": "VARCHAR", "nullable": False},
                {"name": "body", "type": "VARCHAR"},
            ],
        }
    ]
}

# The tool a notes design's ``list_notes`` program backs, as the builder reads a tool.
LIST_NOTES_TOOL = SimpleNamespace(
    name="list_notes",
    description="List notes.",
    kind="read",
    parameters={"type": "object", "properties": {}},
)
