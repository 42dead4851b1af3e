"""The one-table ``notes`` schema that builder tests hand back as the LLM's design."""

from __future__ import annotations

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
