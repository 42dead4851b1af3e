"""Valid arguments for a tool, grounded in an episode's current rows.

Used by the builder's self-test; samplers may use it too. Reads and updates
point at an existing row (and filter on its own values, so reads return it);
creates get fresh keys and values; references point at existing parents.
"""

from __future__ import annotations

import random
from typing import Any

from jsonschema import Draft202012Validator

from envscale.environments.programs.model import BusinessRule, ToolProgram
from envscale.environments.runtime.contracts import EnvTool
from envscale.environments.schema.model import SchemaModel
from envscale.environments.values import order_ranges, parse_when, value_for


def generate_arguments(
    tool: EnvTool, program: ToolProgram, schema: SchemaModel, episode: Any, rng: random.Random
) -> dict[str, Any]:
    """Arguments that satisfy the tool's JSON schema and (for rule programs) its preconditions."""
    props: dict[str, Any] = tool.parameters.get("properties", {}) or {}
    required = set(tool.parameters.get("required", []) or [])
    bindings = {b.param: b for b in program.bindings}
    target = _pick_row(episode, schema, program.table, rng, program) if program.table else None
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
                value = value_for(name, spec, rng)
        elif name not in required:
            continue
        if value is _MISSING or value is None:
            if name not in required:
                continue
            value = value_for(name, spec, rng)
        value = coerce(value, spec, rng, name)
        if not _valid(spec, value):
            # A row value the tool's own schema refuses (a merged column): a fresh valid one instead.
            value = value_for(name, spec, rng)
        args[name] = value
    order_ranges(args, rng, props)
    return args


def _valid(spec: dict[str, Any], value: Any) -> bool:
    try:
        return Draft202012Validator(spec).is_valid(value)
    except Exception:  # an unresolvable $ref and the like: the runtime's validator decides
        return True


_MISSING = object()


def _pick_row(
    episode: Any,
    schema: SchemaModel,
    table: str | None,
    rng: random.Random,
    program: ToolProgram | None = None,
) -> dict[str, Any] | None:
    """A row of ``table``; for the program's own table one its state rules allow acting on."""
    if table is None or table not in schema.table_names:
        return None
    pk = schema.table(table).primary_key
    order = ", ".join(f'"{k}"' for k in pk)
    rows = episode.query(f'SELECT * FROM "{table}" ORDER BY {order} LIMIT 50')
    if program is not None and table == program.table:
        allowed = [r for r in rows if allowed_row(program, r)]
        rows = allowed or rows
    return rng.choice(rows) if rows else None


def allowed_row(program: ToolProgram, row: dict[str, Any]) -> bool:
    """Whether the program's state rules let it act on ``row`` (its status is not a refused one)."""
    for p in program.preconditions:
        rule = p.rule
        if (
            rule is not None
            and rule.kind == "state"
            and rule.columns
            and row.get(rule.columns[0]) in rule.values
        ):
            return False
    return True


def _fresh_key(spec: dict[str, Any], rng: random.Random) -> Any:
    if any(k in spec for k in ("pattern", "format", "minLength", "maxLength", "enum", "const")):
        return value_for("id", spec, rng)
    if _type(spec) == "integer":
        return rng.randint(10**6, 10**7)
    return f"new_{rng.randrange(16**8):08x}"


def _type(spec: dict[str, Any]) -> str:
    t = spec.get("type", "string")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    return t


def value_for_schema(spec: dict[str, Any], rng: random.Random, name: str = "value") -> Any:
    """A value valid for a JSON Schema fragment (see ``envscale.environments.values.value_for``)."""
    if (
        "default" in spec
        and spec["default"] is not None
        and "enum" not in spec
        and _valid(spec, spec["default"])
    ):
        return spec["default"]
    return value_for(name, spec, rng)


def coerce(value: Any, spec: dict[str, Any], rng: random.Random, name: str = "value") -> Any:
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
            return value if ok else value_for(name, spec, rng)
    except (TypeError, ValueError):
        return value_for(name, spec, rng)
    return value


def violating_arguments(
    rule: BusinessRule, program: ToolProgram, schema: SchemaModel, episode: Any, args: dict[str, Any]
) -> dict[str, Any] | None:
    """Arguments ``rule`` must refuse, built from an allowed call's ``args`` in the episode's current state.

    state: the key of a row in a refused status; non_negative: -1; date_order: start and end swapped;
    no_double_booking (creates): the same booking again, after the allowed one. None when the state offers
    no violation (no row in a refused status, unparsable times). Self-test and refusal tasks use it.
    """
    ep = episode
    bad = dict(args)
    if rule.kind == "state":
        if not rule.params or rule.table is None:
            return None
        table = schema.table(rule.table)
        pk = table.primary_key[0]
        values = ", ".join("'" + v.replace("'", "''") + "'" for v in rule.values)
        rows = ep.query(f'SELECT "{pk}" FROM "{table.name}" WHERE "status" IN ({values}) ORDER BY 1 LIMIT 1')
        if not rows:
            return None
        bad[rule.params[0]] = rows[0][pk]
        return bad
    if rule.kind == "non_negative":
        param = rule.params[0]
        bad[param] = -1 if isinstance(args.get(param), int) else -1.5
        return bad
    if rule.kind == "date_order":
        start, end = rule.params
        if (
            parse_when(args.get(start)) is None
            or parse_when(args.get(end)) is None
            or args[start] == args[end]
        ):
            return None  # not two times (an unparsable value passes the rule by design)
        bad[start], bad[end] = args[end], args[start]
        return bad
    if rule.kind == "no_double_booking" and program.action == "create":
        # The same booking again: its resource and time are now taken. A fresh key, when the tool takes one.
        key = next((b.param for b in program.bindings if b.role == "key"), None)
        if key is not None and key in bad:
            fresh = bad[key]
            bad[key] = fresh + 1 if isinstance(fresh, int) else f"{fresh}_2"
        return bad
    return None
