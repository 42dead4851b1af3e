"""What every format parser yields: raw tools (still in the source's dialect) or rejections."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from envscale.environments.catalog.reasons import reject
from envscale.environments.catalog.records import Rejection


@dataclass
class RawTool:
    """One tool as a parser found it; ``normalize`` turns it into a ToolRecord or a rejection."""

    name: Any
    description: Any
    parameters: Any  # source-dialect schema; None = takes no arguments
    pointer: str
    fmt: str
    returns: Any = None
    kind_evidence: tuple[str, str] | None = None
    categories: tuple[str, ...] = ()
    namespace: str | None = None
    qualify_name: bool = False  # ToolBench-style "api_for_tool" canonical names
    notes: set[str] = field(default_factory=set)
    excerpt: Any = None  # the raw entry, for rejection excerpts


@dataclass(frozen=True)
class ParseContext:
    file: str
    fmt: str

    def reject(self, pointer: str, code: str, reason: str, excerpt: Any = None) -> Rejection:
        return reject(self.file, pointer, self.fmt, code, reason, excerpt=excerpt)


Parsed = Iterator[RawTool | Rejection]


def each_record(
    value: Any, prefix: str, ctx: ParseContext, parse_record: Callable[[Any, str, ParseContext], Parsed]
) -> Parsed:
    """``parse_record`` on every item of a list, with its pointer, or on ``value`` itself when it is one record."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from parse_record(item, ptr(prefix, i), ctx)
        return
    yield from parse_record(value, prefix, ctx)


def ptr(base: str, *parts: object) -> str:
    """``base`` extended by ``parts``: RFC 6901 inside a document; JSONL lines read 'line:N#/json/pointer'."""
    tail = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    if base.startswith(("line:", "doc:")) and "#" not in base:
        return f"{base}#{tail}" if tail else base
    return base + tail


def text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
