"""What is read back about stored tasks: the gold blueprint behind a task."""

from __future__ import annotations

import json
from typing import Any

from envscale.warehouse import Warehouse


def gold_calls(wh: Warehouse, task_id: str) -> list[dict[str, Any]] | None:
    """The gold blueprint's calls of a stored task (name, arguments), or None when unknown."""
    with wh.connect() as con:
        row = con.execute(
            "SELECT b.calls FROM tasks t JOIN blueprints b USING (blueprint_id) WHERE t.task_id = ?",
            [task_id],
        ).fetchone()
    return json.loads(row[0]) if row and row[0] else None
