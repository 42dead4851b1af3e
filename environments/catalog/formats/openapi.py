"""OpenAPI 3.0/3.1 and Swagger 2.0: one tool per operation.

- name: ``operationId``, else ``<method>_<path>``; description: summary and description;
  categories: the operation's tags; namespace: ``info.title``.
- parameters: path/query/header (and Swagger ``formData``) parameters plus the JSON request body's
  properties merged into one object schema (a name clash is prefixed with its location: ``query_id``);
  a non-object body becomes one ``body`` argument. Cookie parameters are left out (agents cannot set them).
- returns: the first 2xx (else ``default``) response's JSON schema.
- kind: the HTTP method (GET/HEAD read, POST/PUT/PATCH/DELETE write).
- ``$ref``: local refs are inlined; a ref that refers back into itself (a recursive type) is kept as
  ``{"$ref": "#/$defs/Name"}`` with the definition under the schema's ``$defs``, which is valid
  JSON Schema; external refs and refs to nothing reject the operation with ``unresolved_ref``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from envscale.environments.catalog.formats.base import ParseContext, Parsed, RawTool, ptr, text_or_none
from envscale.environments.catalog.kind import method_kind
from envscale.environments.catalog.schema import SchemaProblem

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_VERBATIM = frozenset({"example", "examples", "enum", "default", "const", "x-example"})
_PARAM_META = frozenset(
    {
        "name",
        "in",
        "description",
        "required",
        "allowEmptyValue",
        "collectionFormat",
        "style",
        "explode",
        "deprecated",
    }
)
MAX_NODES = 50_000
MAX_DEPTH = 64


def parse(value: Any, prefix: str, ctx: ParseContext) -> Parsed:
    if not isinstance(value, dict):
        yield ctx.reject(prefix, "malformed_entry", "an OpenAPI document must be an object", value)
        return
    paths = value.get("paths")
    if not isinstance(paths, dict):
        yield ctx.reject(
            ptr(prefix, "paths"), "malformed_entry", "the document has no 'paths' object", value.get("paths")
        )
        return
    swagger2 = str(value.get("swagger", "")).startswith("2")
    info = value.get("info") if isinstance(value.get("info"), dict) else {}
    title = text_or_none(info.get("title"))
    for path, item in paths.items():
        item_ptr = ptr(prefix, "paths", path)
        resolver = _Resolver(value)
        try:
            item = resolver.deref(item)
        except SchemaProblem as exc:
            yield ctx.reject(item_ptr, exc.code, exc.message)
            continue
        if not isinstance(item, dict):
            yield ctx.reject(item_ptr, "malformed_entry", "a path item must be an object", item)
            continue
        shared = item.get("parameters") if isinstance(item.get("parameters"), list) else []
        for method in METHODS:
            if method not in item:
                continue
            op_ptr = ptr(item_ptr, method)
            op = item[method]
            if not isinstance(op, dict):
                yield ctx.reject(op_ptr, "malformed_entry", "an operation must be an object", op)
                continue
            try:
                yield _operation(value, path, method, op, shared, swagger2, title, op_ptr, ctx)
            except SchemaProblem as exc:
                yield ctx.reject(
                    op_ptr, exc.code, exc.message, {"operationId": op.get("operationId"), "path": path}
                )


def _operation(
    doc: dict[str, Any],
    path: str,
    method: str,
    op: dict[str, Any],
    shared: list[Any],
    swagger2: bool,
    title: str | None,
    pointer: str,
    ctx: ParseContext,
) -> RawTool:
    notes: set[str] = set()
    params_resolver = _Resolver(doc)
    properties: dict[str, Any] = {}
    required: list[str] = []
    body_schema: Any = None
    body_required = False

    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*shared, *(op.get("parameters") or [])]:
        param = params_resolver.deref(raw)
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            raise SchemaProblem("malformed_entry", "a parameter needs a string 'name' and 'in'")
        merged[(param["name"], str(param.get("in")))] = param  # operation-level overrides path-level
    for (name, loc), param in merged.items():
        if loc == "body":
            body_schema, body_required = param.get("schema", {}), bool(param.get("required"))
            continue
        if loc == "cookie":
            notes.add("cookie parameters left out")
            continue
        schema = _param_schema(param, swagger2)
        schema = params_resolver.schema(schema)
        if isinstance(schema, dict) and isinstance(param.get("description"), str):
            schema = {**schema, "description": schema.get("description", param["description"])}
        key = name if name not in properties else f"{loc}_{name}"
        properties[key] = schema
        if param.get("required") is True or loc == "path":
            required.append(key)

    if not swagger2 and "requestBody" in op:
        body = params_resolver.deref(op["requestBody"])
        if isinstance(body, dict):
            body_required = bool(body.get("required"))
            body_schema = _content_schema(body.get("content"), notes)
    if body_schema is not None:
        schema = _flatten_all_of(params_resolver.schema(body_schema))
        if (
            isinstance(schema, dict)
            and isinstance(schema.get("properties"), dict)
            and schema.get("type", "object") == "object"
        ):
            keys: dict[str, str] = {}
            for name, sub in schema["properties"].items():
                keys[name] = name if name not in properties else f"body_{name}"
                properties[keys[name]] = sub
            required.extend(keys[n] for n in schema.get("required") or [] if isinstance(n, str) and n in keys)
            notes.add("request body properties merged into parameters")
        else:
            properties["body" if "body" not in properties else "request_body"] = schema
            if body_required:
                required.append("body" if "body" in properties else "request_body")

    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = list(dict.fromkeys(required))
    params_resolver.attach_defs(parameters, notes)

    returns_resolver = _Resolver(doc)
    returns = _response_schema(op.get("responses"), returns_resolver, swagger2, notes)
    if isinstance(returns, dict):
        returns_resolver.attach_defs(returns, notes)

    summary = text_or_none(op.get("summary")) or ""
    details = text_or_none(op.get("description")) or ""
    description = summary.strip()
    if details.strip() and details.strip() != description:
        description = f"{description}\n\n{details.strip()}" if description else details.strip()
    op_id = text_or_none(op.get("operationId"))
    tags = tuple(t for t in op.get("tags") or () if isinstance(t, str))
    return RawTool(
        name=op_id or f"{method}_{path}",
        description=description,
        parameters=parameters,
        returns=returns,
        pointer=pointer,
        fmt=ctx.fmt,
        kind_evidence=method_kind(method),
        categories=tags,
        namespace=title,
        notes=notes,
        excerpt={"operationId": op_id, "method": method, "path": path},
    )


def _param_schema(param: dict[str, Any], swagger2: bool) -> Any:
    if "schema" in param:
        return param["schema"]
    if "content" in param:
        return _content_schema(param["content"], set()) or {}
    # Swagger 2.0: the schema keywords sit on the parameter itself.
    return {k: v for k, v in param.items() if k not in _PARAM_META}


def _content_schema(content: Any, notes: set[str]) -> Any:
    if not isinstance(content, dict) or not content:
        return None
    media = next((m for m in content if m == "application/json"), None)
    media = media or next((m for m in content if "json" in m), None) or next(iter(content))
    if "json" not in media:
        notes.add(f"request/response media type {media!r} used as JSON")
    entry = content[media]
    return entry.get("schema") if isinstance(entry, dict) else None


def _response_schema(responses: Any, resolver: _Resolver, swagger2: bool, notes: set[str]) -> Any:
    if not isinstance(responses, dict):
        return None
    codes = sorted(c for c in responses if str(c).startswith("2") and str(c)[1:].isdigit())
    codes += [c for c in responses if str(c).upper() == "2XX"] + [c for c in responses if c == "default"]
    for code in codes:
        response = resolver.deref(responses[code])
        if not isinstance(response, dict):
            continue
        schema = response.get("schema") if swagger2 else _content_schema(response.get("content"), notes)
        if schema is not None:
            return resolver.schema(schema)
    return None


def _flatten_all_of(schema: Any) -> Any:
    """``allOf`` of object schemas (the usual OpenAPI inheritance) as one object schema."""
    if not isinstance(schema, dict) or not isinstance(schema.get("allOf"), list):
        return schema
    parts = [_flatten_all_of(p) for p in schema["allOf"]]
    if not all(isinstance(p, dict) and (p.get("type", "object") == "object") for p in parts):
        return schema
    props: dict[str, Any] = {}
    required: list[str] = []
    for p in [*parts, {k: v for k, v in schema.items() if k != "allOf"}]:
        props.update(p.get("properties") or {})
        required.extend(r for r in p.get("required") or [] if isinstance(r, str))
    flat = {k: v for k, v in schema.items() if k not in ("allOf", "properties", "required")}
    flat.update({"type": "object", "properties": props})
    if required:
        flat["required"] = list(dict.fromkeys(required))
    return flat


class _Resolver:
    """Local ``$ref`` resolution for one schema root, keeping recursive types as ``$defs``."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.nodes = 0
        self.recursive: dict[str, str] = {}  # ref -> $defs name

    def lookup(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise SchemaProblem(
                "unresolved_ref", f"external $ref {ref!r} is not supported (only local '#/...' refs)"
            )
        node: Any = self.doc
        for raw in ref[1:].split("/")[1:] if ref != "#" else []:
            part = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SchemaProblem("unresolved_ref", f"$ref {ref!r} points to nothing in the document")
        return node

    def deref(self, node: Any) -> Any:
        """Follow ``$ref`` chains of non-schema objects (parameters, bodies, responses, path items)."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise SchemaProblem("unresolved_ref", f"$ref {ref!r} refers to itself")
            seen.add(str(ref))
            node = self.lookup(ref)
        return node

    def schema(self, node: Any, stack: tuple[str, ...] = (), depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise SchemaProblem(
                "schema_too_large", f"schema expands to more than {MAX_NODES:,} nodes after $ref resolution"
            )
        if depth > MAX_DEPTH:
            raise SchemaProblem(
                "schema_too_deep", f"schema nests deeper than {MAX_DEPTH} levels after $ref resolution"
            )
        if isinstance(node, list):
            return [self.schema(v, stack, depth + 1) for v in node]
        if not isinstance(node, dict):
            return node
        if isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if ref in stack:  # a recursive type: refer to its definition instead of expanding forever
                name = self.recursive.setdefault(ref, self._def_name(ref))
                return {"$ref": f"#/$defs/{name}", **self.schema(siblings, stack, depth + 1)}
            target = self.schema(self.lookup(ref), (*stack, ref), depth + 1)
            if siblings and isinstance(target, dict):
                return {**target, **self.schema(siblings, stack, depth + 1)}
            return target
        return {k: (v if k in _VERBATIM else self.schema(v, stack, depth + 1)) for k, v in node.items()}

    def _def_name(self, ref: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.-]+", "_", ref.rsplit("/", 1)[-1]) or "def"
        taken = set(self.recursive.values())
        name, n = base, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        return name

    def attach_defs(self, root: dict[str, Any], notes: set[str]) -> None:
        """Add ``$defs`` for every recursive type the root refers to (closing over new ones found)."""
        if not self.recursive:
            return
        defs: dict[str, Any] = {}
        while len(defs) < len(self.recursive):
            for ref, name in list(self.recursive.items()):
                if name not in defs:
                    defs[name] = self.schema(self.lookup(ref), (ref,))
        root["$defs"] = defs
        notes.add("recursive $refs kept as $defs: " + ", ".join(sorted(defs)))
