"""Which format a JSON value (or a JSONL file's lines) is in, from its shape alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from envscale.environments.catalog.formats.openai import SCHEMA_KEYS as _SCHEMA_KEYS

_SAMPLE = 8  # list items / JSONL lines looked at


def detect(values: Sequence[Any]) -> str | None:
    """The format of a file's documents: the first confident guess over the first few."""
    for value in values[:_SAMPLE]:
        fmt = detect_value(value)
        if fmt is not None:
            return fmt
    return None


def detect_value(value: Any) -> str | None:
    if isinstance(value, list):
        return detect([v for v in value[:_SAMPLE] if isinstance(v, dict)])
    if not isinstance(value, dict):
        return None
    if "openapi" in value or "swagger" in value:
        return "openapi"
    if isinstance(value.get("result"), dict) and "tools" in value["result"]:
        return "mcp"
    tools = value.get("tools")
    if isinstance(tools, dict) and any(isinstance(v, list) for v in tools.values()):
        return "taubench"
    if isinstance(tools, list):
        sample = [t for t in tools[:_SAMPLE] if isinstance(t, dict)]
        if any("inputSchema" in t for t in sample):
            return "mcp"
        return "openai"  # also an empty list: a tools file that defines nothing
    if isinstance(value.get("functions"), list):
        return "openai"
    if "api_list" in value or ("api_name" in value and "tool_name" in value):
        return "toolbench"
    if isinstance(value.get("function"), list) and ("question" in value or "id" in value):
        return "bfcl"
    if "question" in value and "id" in value:
        return "bfcl"  # a BFCL record without functions (multi-turn, memory): yields no tools
    if "inputSchema" in value:
        return "mcp"
    if value.get("type") == "function" and isinstance(value.get("function"), dict):
        return "openai"
    if isinstance(value.get("name"), str) and (
        "description" in value or any(k in value for k in _SCHEMA_KEYS)
    ):
        return "bfcl" if _bfcl_flavoured(value) else "openai"
    return None


def _bfcl_flavoured(fn: dict[str, Any]) -> bool:
    params = next((fn[k] for k in _SCHEMA_KEYS if fn.get(k) is not None), None)
    return "response" in fn or (isinstance(params, dict) and params.get("type") == "dict")
