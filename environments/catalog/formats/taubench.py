"""τ-bench tool info: ``{"tools": {domain: [{"type": "function", "function": {...}}, ...]}, ...}``.

This is what ``Tool.get_info()`` returns per domain (envscale's shared data keeps a derived dump). The
domain becomes the tool's namespace and category. A read/write flag, where an export carries one
(``kind``, ``read_only``...), is honoured; otherwise the name decides. Other top-level keys (``tasks``)
are not tools and are ignored.
"""

from __future__ import annotations

from typing import Any

from envscale.environments.catalog.formats import openai
from envscale.environments.catalog.formats.base import ParseContext, Parsed, ptr


def parse(value: Any, prefix: str, ctx: ParseContext) -> Parsed:
    tools = value.get("tools") if isinstance(value, dict) else None
    if not isinstance(tools, dict):
        yield ctx.reject(prefix, "malformed_entry", "expected {'tools': {domain: [tool info, ...]}}", value)
        return
    for domain, entries in tools.items():
        pointer = ptr(prefix, "tools", domain)
        if not isinstance(entries, list):
            yield ctx.reject(
                pointer, "malformed_entry", f"domain {domain!r} must map to a list of tools", entries
            )
            continue
        for i, item in enumerate(entries):
            yield from openai.entry(
                item, ptr(pointer, i), ctx, categories=(str(domain),), namespace=str(domain)
            )
