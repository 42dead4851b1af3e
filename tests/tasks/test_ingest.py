"""The ingest stage's tasks: parse (pure, with or without a progress bar), then persist into a real warehouse."""

from __future__ import annotations

import json

from envscale.config import IngestSettings
from envscale.environments.catalog.store import load_catalog
from envscale.tasks.ingest import parse_task, persist_task
from envscale.warehouse import open_warehouse

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_order",
            "description": "Get an order.",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
        },
    },
    {"type": "function", "function": {"name": 7, "description": "Broken."}},
]


def test_parse_then_persist_is_idempotent(tmp_path, capsys):
    source = tmp_path / "tools.json"
    source.write_text(json.dumps(TOOLS))
    result = parse_task.fn([str(source)], None, IngestSettings())
    assert [t.name for t in result.tools] == ["get_order"] and len(result.rejections) == 1
    with_bar = parse_task.fn([str(source)], None, IngestSettings(), show_progress=True)
    assert with_bar.tools == result.tools
    assert capsys.readouterr().out == ""  # the bar goes to stderr, never into stdout

    wh = open_warehouse(tmp_path / "w.duckdb")
    first = persist_task.fn(wh, result, "run-1")
    assert (first.inserted, first.rejections_inserted) == (1, 1)
    again = persist_task.fn(wh, result, "run-2")
    assert (again.inserted, again.unchanged, again.rejections_inserted) == (0, 1, 0)
    assert [t.name for t in load_catalog(wh)] == ["get_order"]
