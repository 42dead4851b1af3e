"""Helpers for the catalog tests: write source files of any format into a temp folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, Any], Path]:
    """write(name, content): dict/list -> JSON (or YAML for .yaml), list for .jsonl -> lines, str/bytes -> raw."""

    def _write(name: str, content: Any) -> Path:
        path = tmp_path / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content)
        elif name.endswith(".jsonl"):
            path.write_text("".join(json.dumps(v) + "\n" for v in content))
        elif name.endswith((".yaml", ".yml")):
            path.write_text(yaml.safe_dump(content, sort_keys=False))
        else:
            path.write_text(json.dumps(content))
        return path

    return _write


def _fn(
    name: str, description: str = "Does a thing.", props: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """An OpenAI-wrapped function entry."""
    params = {"type": "object", "properties": props or {"x": {"type": "string"}}}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": params, **extra},
    }


@pytest.fixture
def fn() -> Callable[..., dict[str, Any]]:
    """fn(name, description=..., props=...): an OpenAI-wrapped function entry."""
    return _fn
