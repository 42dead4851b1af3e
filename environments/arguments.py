"""Valid arguments for a tool, grounded in an episode's current rows.

Used by the builder's self-test; samplers may use it too. Reads and updates
point at an existing row (and filter on its own values, so reads return it);
creates get fresh keys and values; references point at existing parents.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from envscale.environments.programs.model import ToolProgram
from envscale.environments.runtime.contracts import EnvTool
from envscale.environments.schema.infer import number_bounds
from envscale.environments.schema.model import SchemaModel
from envscale.environments.seeding import SEED_DAY, _faker, fake_value, uniform_cents


def generate_arguments(
    tool: EnvTool, program: ToolProgram, schema: SchemaModel, episode: Any, rng: random.Random
) -> dict[str, Any]:
    """Arguments that satisfy the tool's JSON schema and (for rule programs) its preconditions."""
    props: dict[str, Any] = tool.parameters.get("properties", {}) or {}
    required = set(tool.parameters.get("required", []) or [])
    bindings = {b.param: b for b in program.bindings}
    target = _pick_row(episode, schema, program.table, rng) if program.table else None
    fake = _faker()
    has_key = any(x.role == "key" for x in program.bindings)
    args: dict[str, Any] = {}
    for name, spec in props.items():
        spec = spec if isinstance(spec, dict) else {}
        b = bindings.get(name)
        value: Any = _MISSING
        if b is not None and b.role == "key":
            if program.action == "create":
                value = _fresh_key(spec, rng)
            elif target is not None:
                value = target.get(b.column)
        elif b is not None and b.role == "ref":
            if target is not None and program.action != "create" and target.get(b.column) is not None:
                value = target.get(b.column)
            else:
                parent = _pick_row(episode, schema, b.table, rng)
                if parent is not None:
                    value = parent[schema.table(b.table).primary_key[0]]
        elif b is not None and b.role == "column":
            if name not in required and rng.random() < 0.5:
                continue
            # Reads and key-less writes find their row by these values: take them from the target row.
            if program.action in ("read", "delete") or (
                program.action == "update" and name in required and not has_key
            ):
                if target is not None:
                    value = target.get(b.column)
            else:
                value = fake_value(schema.table(b.table).column(b.column), rng, fake)  # type: ignore[arg-type]
        elif name not in required:
            continue
        if value is _MISSING or value is None:
            if name not in required:
                continue
            value = value_for_schema(spec, rng)
        args[name] = coerce(value, spec, rng)
    return args


_MISSING = object()


def _pick_row(
    episode: Any, schema: SchemaModel, table: str | None, rng: random.Random
) -> dict[str, Any] | None:
    if table is None or table not in schema.table_names:
        return None
    pk = schema.table(table).primary_key
    order = ", ".join(f'"{k}"' for k in pk)
    rows = episode.query(f'SELECT * FROM "{table}" ORDER BY {order} LIMIT 50')
    return rng.choice(rows) if rows else None


def _fresh_key(spec: dict[str, Any], rng: random.Random) -> Any:
    if _type(spec) == "integer":
        return rng.randint(10**6, 10**7)
    return f"new_{rng.randrange(16**8):08x}"


def _type(spec: dict[str, Any]) -> str:
    t = spec.get("type", "string")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    return t


def value_for_schema(spec: dict[str, Any], rng: random.Random) -> Any:
    """A value valid for a JSON Schema fragment, from its enum, default, bounds or type."""
    if "enum" in spec and spec["enum"]:
        return rng.choice(spec["enum"])
    if "default" in spec and spec["default"] is not None:
        return spec["default"]
    t = _type(spec)
    if t in ("integer", "number"):
        # Exclusive bounds honoured; integers clamped to BIGINT (a uint64 maximum overflows int64).
        lo, hi = number_bounds(spec, "BIGINT" if t == "integer" else "DOUBLE")
        if lo is None:
            lo = 1 if hi is None or hi >= 1 else hi - (9 if t == "integer" else 99)
        if t == "integer":
            return rng.randint(lo, max(lo, hi if hi is not None else lo + 9))
        hi = hi if hi is not None else lo + 99
        return uniform_cents(rng, lo, hi)
    if t == "boolean":
        return rng.random() < 0.5
    if t == "array":
        items = spec.get("items") if isinstance(spec.get("items"), dict) else {}
        n = max(int(spec.get("minItems", 1)), 1)
        return [value_for_schema(items, rng) for _ in range(n)]
    if t == "object":
        props = spec.get("properties") or {}
        req = spec.get("required") or list(props)
        return {
            k: value_for_schema(props.get(k) or {}, rng) for k in req if isinstance(props.get(k, {}), dict)
        }
    fmt = spec.get("format")
    # Around the seeding's fixed day and drawn from rng, never from today or the shared faker's
    # state: the same seed gives the same arguments (they are written to the manifest).
    if fmt == "date":
        return (SEED_DAY + dt.timedelta(days=rng.randint(-365, 365))).date().isoformat()
    if fmt == "date-time":
        return (SEED_DAY - dt.timedelta(seconds=rng.randint(0, 365 * 86400))).isoformat(timespec="seconds")
    fake = _faker()
    fake.seed_instance(rng.getrandbits(32))
    if fmt == "email":
        return fake.email()
    text = fake.word()
    min_len = int(spec.get("minLength", 0))
    return (text * (min_len // max(len(text), 1) + 1)) if min_len > len(text) else text


def coerce(value: Any, spec: dict[str, Any], rng: random.Random) -> Any:
    """Fit a DB value to the argument's JSON type (e.g. a JSON text column → array)."""
    t = _type(spec)
    try:
        if t == "integer" and not isinstance(value, bool):
            return int(float(value))
        if t == "number" and not isinstance(value, bool):
            return float(value)
        if t == "boolean":
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
        if t == "string":
            if "enum" in spec and spec["enum"] and value not in spec["enum"]:
                return rng.choice(spec["enum"])
            return value if isinstance(value, str) else str(value)
        if t in ("array", "object"):
            import json

            if isinstance(value, str):
                value = json.loads(value)
            ok = isinstance(value, list) if t == "array" else isinstance(value, dict)
            return value if ok else value_for_schema(spec, rng)
    except (TypeError, ValueError):
        return value_for_schema(spec, rng)
    return value
