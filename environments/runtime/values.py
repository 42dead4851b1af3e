"""Turning DuckDB values into JSON-ready Python, and hashing rows canonically."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import hashlib
import json
import math
import uuid
from collections.abc import Sequence
from typing import Any

from envscale.hashing import canonical_json

HASH_BITS = 128
HASH_MOD = 1 << HASH_BITS


def to_json_value(value: Any) -> Any:
    """A DuckDB value as plain JSON data (dates as ISO text, decimals as floats)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def normalize_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A fetched row with every value JSON-ready (cheap when values already are)."""
    return tuple(v if v is None or type(v) in (str, int, bool) else to_json_value(v) for v in row)


def row_hash(table: str, row: tuple[Any, ...], json_cols: tuple[int, ...] = ()) -> int:
    """128-bit hash of one normalized row of ``table`` (columns in schema order).

    Values of the JSON columns at ``json_cols`` are hashed by content: parsed and
    re-serialized with sorted keys, so ``{"a":1,"b":2}`` and ``{"b":2,"a":1}``
    hash the same (issue 17 item 5; before, the stored text itself was hashed).
    """
    values = list(row)
    for i in json_cols:
        values[i] = canonical_json_value(values[i])
    data = (table + "\x1f" + canonical_json(values)).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=16).digest(), "big")


def canonical_json_value(value: Any) -> Any:
    """A JSON column's value as parsed data (text that is not JSON is kept as it is)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def json_columns(names: tuple[str, ...] | list[str], types: dict[str, str]) -> tuple[int, ...]:
    """Indices of the columns in ``names`` whose declared type is JSON."""
    return tuple(i for i, n in enumerate(names) if types.get(n) == "JSON")


def combine(table_sums: dict[str, int]) -> str:
    """The state hash from per-table sums of row hashes.

    Each table contributes the sum (mod 2^128) of its rows' hashes: a set of
    rows keyed by a primary key hashes the same whatever order rows were
    inserted or touched in, and one changed row updates the sum in O(1). That
    is what makes the episode's hash incremental and still canonical.
    """
    parts = ",".join(f"{t}:{table_sums[t] % HASH_MOD:032x}" for t in sorted(table_sums))
    return hashlib.sha256(parts.encode()).hexdigest()[:32]


def parse_json_columns(names: Sequence[str], types: Sequence[str], row: tuple[Any, ...]) -> dict[str, Any]:
    """A result row as an object; JSON-typed columns parsed so agents see structure, not escaped text."""
    out: dict[str, Any] = {}
    for name, typ, value in zip(names, types, row, strict=True):
        if typ == "JSON" and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[name] = to_json_value(value)
    return out
