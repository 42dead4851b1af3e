"""Argument normalization for exact match: equal intent compares equal.

Values are coerced to the type the tool's JSON schema declares ("5" → 5,
"true" → True, 5.0 → 5), strings are stripped, a null optional argument counts
as omitted, defaults are filled in, and
the result is compared as canonical JSON, so key order and whitespace in the
agent's JSON text never matter.
"""

from __future__ import annotations

from typing import Any

from envscale.hashing import canonical_json


def normalize_arguments(arguments: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
    """The arguments coerced per ``schema`` (an object schema), defaults filled."""
    props = (schema or {}).get("properties") or {}
    required = set((schema or {}).get("required") or ())
    # An explicit null for an optional argument means "not given" (the programs bind both as NULL).
    given = {k: v for k, v in arguments.items() if v is not None or k in required}
    out: dict[str, Any] = {}
    for name, spec in props.items():
        if isinstance(spec, dict) and "default" in spec and name not in given:
            out[name] = spec["default"]
    for name, value in given.items():
        out[name] = _coerce(value, props.get(name) if isinstance(props.get(name), dict) else None)
    return out


def call_signature(name: str, arguments: dict[str, Any], schema: dict[str, Any] | None) -> str:
    """A canonical text for (tool, normalized arguments): equal signatures mean equal calls."""
    return canonical_json([name, normalize_arguments(arguments, schema)])


def _types(spec: dict[str, Any]) -> list[str]:
    typ = spec.get("type")
    if isinstance(typ, list):
        return [t for t in typ if isinstance(t, str)]
    if isinstance(typ, str):
        return [typ]
    for key in ("anyOf", "oneOf"):
        if isinstance(spec.get(key), list):
            return [t for s in spec[key] if isinstance(s, dict) for t in _types(s)]
    return []


def _coerce(value: Any, spec: dict[str, Any] | None) -> Any:
    if spec is None:
        return _plain(value)
    types = _types(spec)
    if value is None:
        return None
    if isinstance(value, str) and value.strip() != value and "string" in types:
        value = value.strip()
    if "integer" in types and not isinstance(value, bool):
        number = _number(value)
        if number is not None and float(number).is_integer():
            return int(number)
    if "number" in types and not isinstance(value, bool):
        number = _number(value)
        if number is not None:
            return int(number) if float(number).is_integer() else float(number)
    if "boolean" in types and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if types == ["string"] and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        item = spec.get("items") if isinstance(spec.get("items"), dict) else None
        return [_coerce(v, item) for v in value]
    if isinstance(value, dict):
        return normalize_arguments(value, spec)
    return _plain(value)


def _number(value: Any) -> float | int | None:
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
