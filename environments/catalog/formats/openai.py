"""OpenAI tools: ``{"type": "function", "function": {...}}`` entries and bare function objects.

Accepted containers: one entry, a list of entries, ``{"tools": [...]}`` or ``{"functions": [...]}``
(a request body), one entry per JSONL line. Bare functions may carry ``response``/``returns`` (BFCL
func docs) as their return schema, and Anthropic-style ``input_schema`` as their parameters.
"""

from __future__ import annotations

from typing import Any

from envscale.environments.catalog.formats.base import ParseContext, Parsed, RawTool, ptr
from envscale.environments.catalog.kind import explicit_kind

_RETURN_KEYS = ("response", "returns", "output_schema", "outputSchema")
# Where dialects keep the arguments schema (BFCL-like variants use `arguments`): first one present wins.
SCHEMA_KEYS = (
    "parameters",
    "input_schema",
    "inputSchema",
    "arguments",
    "args",
    "params",
    "argument_schema",
    "args_schema",
    "schema",
)


def arguments_schema(fn: dict[str, Any]) -> Any:
    """The function's arguments schema wherever its dialect keeps it; None only when it has none anywhere."""
    return next((fn[k] for k in SCHEMA_KEYS if fn.get(k) is not None), None)


def parse(value: Any, prefix: str, ctx: ParseContext) -> Parsed:
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from entry(item, ptr(prefix, i), ctx)
        return
    if isinstance(value, dict):
        for key in ("tools", "functions"):
            if isinstance(value.get(key), list) and not _is_function(value):
                for i, item in enumerate(value[key]):
                    yield from entry(item, ptr(prefix, key, i), ctx)
                return
    yield from entry(value, prefix, ctx)


def _is_function(obj: dict[str, Any]) -> bool:
    return "name" in obj or "function" in obj


def entry(
    item: Any,
    pointer: str,
    ctx: ParseContext,
    *,
    categories: tuple[str, ...] = (),
    namespace: str | None = None,
) -> Parsed:
    """One wrapped or bare function."""
    if not isinstance(item, dict):
        yield ctx.reject(
            pointer, "malformed_entry", f"expected a function object, got {type(item).__name__}", item
        )
        return
    wrapper = None
    fn = item
    if "function" in item and item.get("type", "function") == "function":
        fn = item["function"]
        wrapper = item
        pointer = ptr(pointer, "function")
        if not isinstance(fn, dict):
            yield ctx.reject(
                pointer, "malformed_entry", f"'function' must be an object, got {type(fn).__name__}", item
            )
            return
    elif item.get("type") not in (None, "function"):
        yield ctx.reject(pointer, "malformed_entry", f"unsupported tool type {item.get('type')!r}", item)
        return
    params = arguments_schema(fn)
    returns = next((fn[k] for k in _RETURN_KEYS if k in fn), None)
    yield RawTool(
        name=fn.get("name"),
        description=fn.get("description"),
        parameters=params,
        returns=returns,
        pointer=pointer,
        fmt=ctx.fmt,
        kind_evidence=explicit_kind(fn, wrapper),
        categories=categories,
        namespace=namespace,
        excerpt=fn,
    )
