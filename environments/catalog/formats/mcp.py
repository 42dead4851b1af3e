"""MCP (Model Context Protocol) ``tools/list`` results.

Accepted: the JSON-RPC response ``{"jsonrpc", "id", "result": {"tools": [...]}}``, the bare result
``{"tools": [...], "nextCursor"?}``, a list of tools, or one tool per JSONL line. Each tool has ``name``,
``description``, ``inputSchema``, optional ``outputSchema``, ``title`` and ``annotations``
(``readOnlyHint``/``destructiveHint`` decide read vs write).
"""

from __future__ import annotations

from typing import Any

from envscale.environments.catalog.formats.base import ParseContext, Parsed, RawTool, ptr
from envscale.environments.catalog.kind import mcp_kind


def parse(value: Any, prefix: str, ctx: ParseContext) -> Parsed:
    pointer = prefix
    if isinstance(value, dict) and isinstance(value.get("result"), dict):
        value = value["result"]
        pointer = ptr(pointer, "result")
    if isinstance(value, dict) and "tools" in value:
        tools = value["tools"]
        pointer = ptr(pointer, "tools")
        if not isinstance(tools, list):
            yield ctx.reject(pointer, "malformed_entry", "'tools' must be a list", value)
            return
    elif isinstance(value, list):
        tools = value
    else:
        yield from _tool(value, pointer, ctx)
        return
    for i, tool in enumerate(tools):
        yield from _tool(tool, ptr(pointer, i), ctx)


def _tool(tool: Any, pointer: str, ctx: ParseContext) -> Parsed:
    if not isinstance(tool, dict):
        yield ctx.reject(
            pointer, "malformed_entry", f"expected an MCP tool object, got {type(tool).__name__}", tool
        )
        return
    annotations = tool.get("annotations")
    description = tool.get("description")
    if description is None and isinstance(tool.get("title"), str):
        description = tool["title"]
    yield RawTool(
        name=tool.get("name"),
        description=description,
        parameters=tool.get("inputSchema"),
        returns=tool.get("outputSchema"),
        pointer=pointer,
        fmt=ctx.fmt,
        kind_evidence=mcp_kind(annotations),
        excerpt=tool,
    )
