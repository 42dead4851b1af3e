"""ingest_paths: a forced format is used as given; an unknown one is an error."""

from __future__ import annotations

import pytest

from envscale.environments.catalog.ingest import ingest_paths


def test_forced_format_and_unknown_format(write) -> None:
    src = write("odd.json", [{"name": "f", "description": "F.", "parameters": {"type": "object"}}])
    forced = ingest_paths([src], format="mcp")  # an MCP tool without inputSchema takes no arguments
    assert forced.sources[0].format == "mcp" and len(forced.tools) == 1
    with pytest.raises(ValueError, match="unknown format"):
        ingest_paths([src], format="nope")
