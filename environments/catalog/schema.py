"""Turning every source's parameter dialect into JSON Schema draft 2020-12, and checking it.

Sources speak near-JSON-Schema: BFCL uses ``dict``/``float``/``tuple``/``any`` and Java/JS type names,
OpenAPI 3.0 has ``nullable`` and boolean ``exclusiveMinimum``, Swagger 2.0 has ``type: file``, some
sources mark required properties with ``required: true`` on the property. ``to_json_schema`` maps all of
these, records what it changed in ``notes``, and bounds depth, size and string length so hostile input
fails with a reason instead of a crash.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from envscale.errors import DataError
from envscale.hashing import canonical_json

# Type spellings found in the wild -> JSON Schema type (None = any type: drop the keyword).
TYPE_ALIASES: dict[str, str | None] = {
    "dict": "object",
    "hashmap": "object",
    "map": "object",
    "float": "number",
    "double": "number",
    "decimal": "number",
    "tuple": "array",
    "list": "array",
    "arraylist": "array",
    "set": "array",
    "any": None,
    "long": "integer",
    "int": "integer",
    "str": "string",
    "char": "string",
    "bool": "boolean",
    "file": "string",  # Swagger 2.0 formData upload
    "date": "string",
    "datetime": "string",
}
JSON_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = (
    "additionalProperties",
    "not",
    "contains",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
)


class SchemaProblem(DataError):
    """A schema cannot be normalized; ``code`` is a rejection reason code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Limits:
    """Bounds applied while converting one schema."""

    def __init__(self, *, max_depth: int = 64, max_nodes: int = 50_000, max_string: int = 100_000) -> None:
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.max_string = max_string


def to_json_schema(node: Any, *, limits: Limits, notes: set[str]) -> Any:
    """A JSON Schema (2020-12) equivalent of ``node``; raises :class:`SchemaProblem`."""
    counter = [0]
    return _convert(node, 0, limits, notes, counter)


def _convert(node: Any, depth: int, limits: Limits, notes: set[str], counter: list[int]) -> Any:
    if depth > limits.max_depth:
        raise SchemaProblem("schema_too_deep", f"schema nests deeper than {limits.max_depth} levels")
    counter[0] += 1
    if counter[0] > limits.max_nodes:
        raise SchemaProblem("schema_too_large", f"schema has more than {limits.max_nodes:,} nodes")
    if isinstance(node, bool):
        return node
    if not isinstance(node, dict):
        # Not a schema: leave it for the validator to report precisely.
        return node
    out: dict[str, Any] = {}
    prop_required: list[str] = []
    for key, value in node.items():
        if isinstance(value, str) and len(value) > limits.max_string:
            raise SchemaProblem(
                "description_too_long",
                f"schema keyword {key!r} holds {len(value):,} chars (limit {limits.max_string:,})",
            )
        if key == "type":
            out.update(_map_type(value, node, notes))
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            converted = {}
            for name, sub in value.items():
                if key == "properties" and isinstance(sub, dict) and isinstance(sub.get("required"), bool):
                    # property-level `required: true` (draft 3 / Swagger style) -> parent's required list
                    notes.add("property-level required flags moved to 'required'")
                    if sub["required"]:
                        prop_required.append(name)
                    sub = {k: v for k, v in sub.items() if k != "required"}
                converted[name] = _convert(sub, depth + 1, limits, notes, counter)
            out[key] = converted
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_convert(s, depth + 1, limits, notes, counter) for s in value]
        elif key in _SCHEMA_ONE and isinstance(value, dict | bool):
            out[key] = _convert(value, depth + 1, limits, notes, counter)
        elif key == "items":
            if isinstance(value, list):  # tuple form (draft 4-2019) -> prefixItems
                notes.add("array 'items' list mapped to 'prefixItems'")
                out["prefixItems"] = [_convert(s, depth + 1, limits, notes, counter) for s in value]
            else:
                out["items"] = _convert(value, depth + 1, limits, notes, counter)
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            notes.add("boolean exclusiveMinimum/Maximum (OpenAPI 3.0) made numeric")
            if value and bound in node:
                out[key] = node[bound]
                out["_drop_" + bound] = True
        elif key == "nullable":
            if value is True:
                out["_nullable"] = True
            notes.add("OpenAPI 'nullable' mapped to a 'null' type")
        else:
            out[key] = _deep_check_strings(value, limits, depth)
    for bound in ("minimum", "maximum"):
        if out.pop("_drop_" + bound, False):
            out.pop(bound, None)
    if out.pop("_nullable", False):
        t = out.get("type")
        if isinstance(t, str) and t != "null":
            out["type"] = [t, "null"]
        elif isinstance(t, list) and "null" not in t:
            out["type"] = [*t, "null"]
    if prop_required:
        existing = out.get("required") if isinstance(out.get("required"), list) else []
        out["required"] = list(dict.fromkeys([*existing, *prop_required]))
    if node.get("type") == "file":
        out.setdefault("format", "binary")
    return out


def _deep_check_strings(value: Any, limits: Limits, depth: int) -> Any:
    """Non-schema values (enum, default, examples) are kept verbatim but still bounded."""
    if isinstance(value, str):
        if len(value) > limits.max_string:
            raise SchemaProblem("description_too_long", f"a schema value holds {len(value):,} chars")
        return value
    if isinstance(value, dict | list):
        if depth > limits.max_depth:
            raise SchemaProblem("schema_too_deep", f"schema nests deeper than {limits.max_depth} levels")
        items = value.values() if isinstance(value, dict) else value
        for item in items:
            _deep_check_strings(item, limits, depth + 1)
    return value


def _map_type(value: Any, node: dict[str, Any], notes: set[str]) -> dict[str, Any]:
    if isinstance(value, list):
        mapped = []
        for v in value:
            m = _one_type(v, notes)
            if m is None:  # 'any' in a union makes the whole union 'any'
                return {}
            mapped.append(m)
        return {"type": list(dict.fromkeys(mapped))}
    m = _one_type(value, notes)
    return {} if m is None else {"type": m}


def _one_type(value: Any, notes: set[str]) -> Any:
    if not isinstance(value, str) or value in JSON_TYPES:
        return value  # non-strings are left for the validator to reject
    key = value.strip().lower()
    if key in JSON_TYPES:
        notes.add(f"type {value!r} mapped to {key!r}")
        return key
    if key in TYPE_ALIASES:
        mapped = TYPE_ALIASES[key]
        notes.add(f"type {value!r} mapped to {mapped!r}" if mapped else f"type {value!r} mapped to any type")
        return mapped
    return value


def object_schema(schema: Any, notes: set[str]) -> dict[str, Any]:
    """The arguments schema as an object schema, or :class:`SchemaProblem`."""
    if not isinstance(schema, dict):
        raise SchemaProblem(
            "parameters_not_object", f"parameters must be a JSON object, got {type(schema).__name__}"
        )
    if "type" not in schema and ("properties" in schema or not schema):
        notes.add("missing parameters type set to 'object'")
        schema = {"type": "object", **schema}
    if schema.get("type") != "object":
        raise SchemaProblem(
            "parameters_not_object", f"parameters must have type 'object', got {schema.get('type')!r}"
        )
    if "properties" not in schema:
        schema = {**schema, "properties": {}}
    return schema


def repair_required(schema: Any, notes: set[str], path: str = "") -> Any:
    """``schema`` with ``required`` names that no property defines dropped (each noted).

    Left in, such a name makes every call invalid and the tool fails later at the build
    self-test; only object schemas that list their properties and forbid others are changed.
    """
    if isinstance(schema, list):
        return [repair_required(item, notes, path) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in ("properties", "$defs", "definitions", "patternProperties") and isinstance(value, dict):
            out[key] = {k: repair_required(v, notes, f"{path}.{k}" if path else k) for k, v in value.items()}
        elif isinstance(value, dict | list) and key not in ("enum", "const", "default", "examples"):
            out[key] = repair_required(value, notes, path)
        else:
            out[key] = value
    required, props = out.get("required"), out.get("properties")
    if (
        isinstance(required, list)
        and isinstance(props, dict)
        and not out.get("patternProperties")
        and out.get("additionalProperties") in (None, False)
    ):
        missing = [r for r in required if isinstance(r, str) and r not in props]
        if missing:
            out["required"] = [r for r in required if r not in missing]
            if not out["required"]:
                del out["required"]
            where = f" in {path}" if path else ""
            notes.add(f"required names no property{where}, dropped: {', '.join(missing)}"[:300])
    return out


def schema_error(schema: Any) -> str | None:
    """Why ``schema`` is not valid draft 2020-12 JSON Schema, or None.

    Checking against the 2020-12 meta-schema costs ~4 ms a schema in ``jsonschema``, far too slow for
    30,000 tools. Meta-schema validity is compositional: a schema is valid when each of its nodes is
    valid with its subschemas taken as given, and a node's validity does not depend on the text of
    descriptions, the names of properties or the values of enums and defaults. So each node is reduced
    to a *flat skeleton* (subschemas replaced by ``{}``, free values blanked), each distinct skeleton is
    checked once with ``jsonschema`` (cached), and only a failing schema is re-checked in full so the
    message points into the real schema.
    """
    for flat in _flat_nodes(schema):
        if _schema_error_cached(canonical_json(flat)) is not None:
            return _schema_error_cached(canonical_json(schema)) or "invalid schema"
    return None


# 2020-12 keywords whose values are subschemas (maps of, lists of, or one).
_SUB_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_SUB_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SUB_ONE = frozenset(
    {
        "items",
        "additionalProperties",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contentSchema",
        "additionalItems",
    }
)
_FREE_TEXT = frozenset({"description", "title", "$comment", "format", "contentEncoding", "contentMediaType"})
_ANY_VALUE = frozenset({"default", "const"})
_ANY_LIST = frozenset({"enum", "examples"})
_KEYWORDS = (
    _SUB_MAPS
    | _SUB_LISTS
    | _SUB_ONE
    | _FREE_TEXT
    | _ANY_VALUE
    | _ANY_LIST
    | frozenset(
        {
            "$schema",
            "$id",
            "$ref",
            "$anchor",
            "$dynamicRef",
            "$dynamicAnchor",
            "$vocabulary",
            "type",
            "required",
            "multipleOf",
            "maximum",
            "exclusiveMaximum",
            "minimum",
            "exclusiveMinimum",
            "maxLength",
            "minLength",
            "pattern",
            "maxItems",
            "minItems",
            "uniqueItems",
            "maxContains",
            "minContains",
            "maxProperties",
            "minProperties",
            "dependentRequired",
            "deprecated",
            "readOnly",
            "writeOnly",
            "dependencies",
        }
    )
)


def _flat_nodes(root: Any) -> list[Any]:
    """Every schema node of ``root`` as a flat skeleton (see ``schema_error``)."""
    out: list[Any] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            if not isinstance(node, bool):
                out.append(node)  # not a schema at all: let the validator say so
            continue
        flat: dict[str, Any] = {}
        for key, value in node.items():
            if key not in _KEYWORDS:
                continue  # unknown keywords are always allowed
            if key in _SUB_MAPS and isinstance(value, dict):
                flat[key] = {"k": {}} if value else {}
                stack.extend(value.values())
            elif key in _SUB_LISTS and isinstance(value, list):
                flat[key] = [{}] * min(len(value), 1)
                stack.extend(value)
            elif key in _SUB_ONE and isinstance(value, dict | bool):
                flat[key] = {}
                stack.append(value)
            elif key in _FREE_TEXT and isinstance(value, str):
                flat[key] = ""
            elif key in _ANY_VALUE:
                flat[key] = None
            elif (
                key in _ANY_LIST
                and isinstance(value, list)
                or (
                    key == "required"
                    and isinstance(value, list)
                    and all(isinstance(v, str) for v in value)
                    and len(set(value)) == len(value)
                )
            ):
                flat[key] = []
            else:
                flat[key] = value
        out.append(flat)
    return out


@lru_cache(maxsize=65_536)
def _schema_error_cached(text: str) -> str | None:
    import json

    from jsonschema.exceptions import best_match

    error = best_match(_meta_validator().iter_errors(json.loads(text)))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"at {where}: {error.message[:300]}"


@lru_cache(maxsize=1)
def _meta_validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(Draft202012Validator.META_SCHEMA)


_SHAPE_TYPES = {
    "str": "string",
    "string": "string",
    "int": "integer",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "bool": "boolean",
    "boolean": "boolean",
    "empty list": "array",
    "list": "array",
    "dict": "object",
    "null": "null",
    "none": "null",
}


def shape_to_schema(shape: Any, *, depth: int = 0, max_depth: int = 32) -> dict[str, Any]:
    """ToolBench's ``template_response`` (``{"status": "str", "items": [{...}]}``) as JSON Schema."""
    if depth > max_depth:
        raise SchemaProblem("schema_too_deep", f"response template nests deeper than {max_depth} levels")
    if isinstance(shape, dict):
        return {
            "type": "object",
            "properties": {
                str(k): shape_to_schema(v, depth=depth + 1, max_depth=max_depth) for k, v in shape.items()
            },
        }
    if isinstance(shape, list):
        if not shape:
            return {"type": "array"}
        return {"type": "array", "items": shape_to_schema(shape[0], depth=depth + 1, max_depth=max_depth)}
    if isinstance(shape, str):
        mapped = _SHAPE_TYPES.get(shape.strip().lower())
        return {"type": mapped} if mapped else {}
    return {}


# Applicators evaluated at the same instance location as their node: a cycle through only these
# (e.g. two $defs that $ref each other) recurses forever in any validator.
_IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
_IN_PLACE_ONE = ("not", "if", "then", "else")


def check_refs(root: Any) -> None:
    """Raise :class:`SchemaProblem` for a ``$ref`` a validator cannot follow safely.

    ``unresolved_ref``: a ref to nothing in the document, or outside it (nothing is fetched).
    ``invalid_schema``: a ref cycle that never descends into the instance (validators recurse
    forever). Recursive schemas that descend (a tree whose ``children`` items ``$ref`` the node)
    are fine. Iterative: the schema may be deep.
    """
    if not isinstance(root, dict):
        return
    nodes: dict[int, dict[str, Any]] = {}
    pointers: dict[int, str] = {}
    anchors: dict[str, dict[str, Any]] = {}
    stack: list[tuple[Any, str]] = [(root, "#")]
    while stack:
        node, where = stack.pop()
        if not isinstance(node, dict) or id(node) in nodes:
            continue
        nodes[id(node)] = node
        pointers[id(node)] = where
        if isinstance(node.get("$anchor"), str):
            anchors[node["$anchor"]] = node
        for key, value in node.items():
            if key in _SUB_MAPS and isinstance(value, dict):
                stack.extend((v, f"{where}/{key}/{k}") for k, v in value.items())
            elif key in _SUB_LISTS and isinstance(value, list):
                stack.extend((v, f"{where}/{key}/{i}") for i, v in enumerate(value))
            elif key in _SUB_ONE and isinstance(value, dict):
                stack.append((value, f"{where}/{key}"))

    targets: dict[int, dict[str, Any]] = {}
    for node in nodes.values():
        ref = node.get("$ref")
        if not isinstance(ref, str):
            continue
        target = _local_ref(root, ref, anchors)
        if not isinstance(target, dict | bool):
            where = "outside the document" if not ref.startswith("#") else "to nothing in the document"
            raise SchemaProblem(
                "unresolved_ref", f"$ref {ref[:200]!r} at {pointers[id(node)]} points {where}"
            )
        if isinstance(target, dict):
            targets[id(node)] = target

    def successors(node: dict[str, Any]) -> list[dict[str, Any]]:
        out = [targets[id(node)]] if id(node) in targets else []
        for key in _IN_PLACE_LISTS:
            if isinstance(node.get(key), list):
                out.extend(v for v in node[key] if isinstance(v, dict))
        out.extend(node[k] for k in _IN_PLACE_ONE if isinstance(node.get(k), dict))
        return out

    state: dict[int, int] = {}  # 1 = on the current path, 2 = done
    for start in nodes.values():
        if id(start) in state:
            continue
        path = [(start, iter(successors(start)))]
        state[id(start)] = 1
        while path:
            node, children = path[-1]
            child = next(children, None)
            if child is None:
                state[id(node)] = 2
                path.pop()
            elif state.get(id(child)) == 1:
                raise SchemaProblem(
                    "invalid_schema",
                    f"$ref cycle through {pointers.get(id(child), '?')} never reaches a concrete schema "
                    "(a validator would recurse forever)",
                )
            elif id(child) not in state:
                state[id(child)] = 1
                path.append((child, iter(successors(child))))


def _local_ref(root: dict[str, Any], ref: str, anchors: dict[str, dict[str, Any]]) -> Any:
    """The node a local ``$ref`` ('#', '#/a/b', '#anchor') names; None when there is none."""
    if ref == "#":
        return root
    if ref.startswith("#") and not ref.startswith("#/"):
        return anchors.get(ref[1:])
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
