"""The one-table ``notes`` design that builder tests hand back as the LLM's reply: schema, get_note, list tool."""

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
# The design's keyed read of one note.
GET_NOTE_PROGRAM: dict[str, Any] = {
    "name": "get_note",
    "kind": "read",
    "result": "SELECT * FROM notes WHERE note_id = $note_id",
    "result_mode": "row",
    "empty_error": "no note {note_id}",
}

# The tool a notes design's ``list_notes`` program backs, as the builder reads a tool.
LIST_NOTES_TOOL = SimpleNamespace(
    name="list_notes",
    description="List notes.",
    kind="read",
    parameters={"type": "object", "properties": {}},
)
