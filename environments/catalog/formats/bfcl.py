"""BFCL (Berkeley Function-Calling Leaderboard): question records and multi-turn function docs.

Question files are JSON-lines of ``{"id", "question", "function": [...]}``; the same function recurs
across many records (the catalog merges them, keeping every reference). The id's category prefix
(``live_multiple_12-4-0`` -> ``live_multiple``) becomes the tool's category. Multi-turn func-doc files
are JSON-lines of bare functions with a ``response`` schema; their file stem (``math_api``) is the
namespace. Schemas use BFCL's type names (``dict``, ``float``, ``tuple``, ``any``, Java types), which
normalization maps to JSON Schema.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from envscale.environments.catalog.formats import openai
from envscale.environments.catalog.formats.base import ParseContext, Parsed, each_record, ptr

_CATEGORY = re.compile(r"^(.*?)_\d+(?:[-_].*)?$")


def parse(value: Any, prefix: str, ctx: ParseContext) -> Parsed:
    return each_record(value, prefix, ctx, _record)


def _record(item: Any, pointer: str, ctx: ParseContext) -> Parsed:
    if isinstance(item, dict) and "function" in item and not isinstance(item["function"], dict):
        functions = item["function"]
        if not isinstance(functions, list):
            yield ctx.reject(
                ptr(pointer, "function"), "malformed_entry", "'function' must be a list of functions", item
            )
            return
        category = _category(item.get("id"))
        for i, fn in enumerate(functions):
            yield from openai.entry(fn, ptr(pointer, "function", i), ctx, categories=category)
        return
    if isinstance(item, dict) and "question" in item:
        return  # a question record without functions (multi-turn, memory): its tools live in func docs
    yield from openai.entry(item, pointer, ctx, namespace=Path(ctx.file).stem)


def _category(record_id: Any) -> tuple[str, ...]:
    if not isinstance(record_id, str):
        return ()
    match = _CATEGORY.match(record_id)
    return (match.group(1),) if match else ()
