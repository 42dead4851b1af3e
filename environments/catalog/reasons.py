"""Why an input was rejected: machine-readable codes and the rejection builder."""

from __future__ import annotations

import json
from typing import Any

from envscale.environments.catalog.records import Rejection, SourceRef
from envscale.hashing import content_hash

# code -> what it means (shown in docs and summaries)
REASONS: dict[str, str] = {
    # whole file
    "unreadable": "the file could not be opened or read",
    "file_too_large": "the file exceeds the ingest size limit",
    "encoding": "the file is not valid UTF-8/UTF-16 text",
    "empty_file": "the file holds no content",
    "malformed_json": "the JSON (or a JSONL line) does not parse",
    "malformed_yaml": "the YAML does not parse",
    "yaml_alias_bomb": "YAML anchors/aliases expand past the size limit or refer to themselves",
    "too_deep": "nesting deeper than the limit (recursion bomb)",
    "unknown_format": "no supported tool-schema format recognized",
    "no_tools": "a recognized format, but the file defines no tools",
    # one entry
    "malformed_entry": "the entry does not have the shape its format requires",
    "missing_name": "the tool has no name",
    "invalid_field": "a field has the wrong type (e.g. a non-string description)",
    "description_too_long": "the description exceeds the length limit",
    "parameters_not_object": "the arguments schema is not an object schema",
    "invalid_schema": "the schema is not valid JSON Schema (draft 2020-12)",
    "schema_too_deep": "the schema nests deeper than the limit",
    "schema_too_large": "the schema (after resolving $refs) exceeds the size limit",
    "unresolved_ref": "a $ref points outside the document or to nothing",
}


def reject(file: str, pointer: str, fmt: str, code: str, reason: str, *, excerpt: Any = None) -> Rejection:
    """A rejection with a stable id; ``excerpt`` is any value, cut to 300 chars."""
    if code not in REASONS:
        raise ValueError(f"unknown rejection code {code!r}")
    return Rejection(
        rejection_id=content_hash([_text(file), _text(pointer), code]),
        source=SourceRef(file=_text(file), pointer=_text(pointer), format=fmt),
        reason_code=code,
        reason=_text(reason),
        excerpt=_excerpt(excerpt),
    )


def _text(value: str) -> str:
    """Storable text: bytes that were not UTF-8 (lone surrogates after decoding) are shown escaped."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", errors="backslashreplace").decode("utf-8")
    return value


def _excerpt(value: Any, limit: int = 300) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        text = value[:limit].decode("utf-8", errors="replace")
    elif isinstance(value, str):
        text = value[:limit]
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)[: limit + 1]
        except (ValueError, RecursionError):
            text = repr(type(value))
    text = _text(text)
    return text[:limit] + ("…" if len(text) > limit else "")
