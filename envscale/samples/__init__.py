"""Small data sets shipped with envscale for the demo and fast tests."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def sample_catalog_path() -> Path:
    """The sample tool catalog: six domains in OpenAI JSON/JSONL, OpenAPI YAML and MCP JSON."""
    return _HERE / "catalog"
