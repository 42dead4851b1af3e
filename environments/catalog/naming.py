"""Canonical tool names: OpenAI-safe, ≤ 64 chars, unique, with deterministic collision resolution.

A name collides with a taken one case-insensitively (downstream code and DuckDB identifiers often fold
case). The first tool in ingest order keeps its plain name; a later distinct tool with the same name
gets its namespace or first category as a prefix, and failing that a suffix from its content hash, which
does not depend on how many other tools collided.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from envscale.hashing import content_hash

MAX_NAME = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_REPEATS = re.compile(r"_{2,}")


class _Named(Protocol):
    tool_id: str
    namespace: str | None
    categories: tuple[str, ...]


def slugify(text: str, *, limit: int = MAX_NAME) -> str:
    """``text`` reduced to [A-Za-z0-9_-]; over-long names keep a hash of the full text so they stay distinct."""
    slug = _REPEATS.sub("_", _UNSAFE.sub("_", text)).strip("_-")
    if not slug:
        slug = "tool"
    if len(slug) > limit:
        slug = f"{slug[: limit - 9].rstrip('_-')}_{content_hash(text, length=8)}"
    return slug


def base_name(original_name: str, namespace: str | None = None, *, qualify: bool = False) -> str:
    """The preferred canonical name: the source name, optionally qualified ToolBench-style (``api_for_tool``)."""
    if qualify and namespace:
        return slugify(f"{original_name}_for_{namespace}")
    return slugify(original_name)


class NameAllocator:
    """Hands out unique names against a set already taken."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._taken = {n.lower() for n in taken}

    def is_free(self, name: str) -> bool:
        return name.lower() not in self._taken

    def claim(self, name: str) -> str:
        self._taken.add(name.lower())
        return name

    def allocate(self, preferred: str, tool: _Named) -> str:
        for candidate in self._candidates(preferred, tool):
            if self.is_free(candidate):
                return self.claim(candidate)
        raise AssertionError("unreachable: the counter candidates never run out")

    @staticmethod
    def _candidates(preferred: str, tool: _Named) -> Iterable[str]:
        yield preferred
        prefix = tool.namespace or (tool.categories[0] if tool.categories else None)
        if prefix:
            yield slugify(f"{prefix}_{preferred}")
        stem = preferred[: MAX_NAME - 7].rstrip("_-")
        yield f"{stem}_{tool.tool_id[:6]}"
        n = 2
        while True:  # only reached by 24-bit hash-prefix collisions
            yield f"{preferred[: MAX_NAME - 12].rstrip('_-')}_{tool.tool_id[:6]}_{n}"
            n += 1
