"""ToolBench / StableToolBench RapidAPI endpoints (``api_list`` entries).

Accepted: query files (a list of ``{"query", "api_list": [...]}``), one query, a list of endpoint
entries, or one per JSONL line. An entry has ``category_name``, ``tool_name``, ``api_name``,
``api_description``, ``required_parameters``/``optional_parameters`` (``{name, type, description,
default}`` with RapidAPI type names) and ``method``; ``template_response`` becomes the return schema.
Names follow ToolBench's own convention, ``<api>_for_<tool>``, since API names alone ("Health",
"Search") collide everywhere.
"""

from __future__ import annotations

from typing import Any

from envscale.environments.catalog.formats.base import (
    ParseContext,
    Parsed,
    RawTool,
    each_record,
    ptr,
    text_or_none,
)
from envscale.environments.catalog.kind import method_kind

# RapidAPI parameter types -> JSON Schema
_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "str": {"type": "string"},
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "boolean": {"type": "boolean"},
    "bool": {"type": "boolean"},
    "enum": {"type": "string"},
    "array": {"type": "array"},
    "list": {"type": "array"},
    "object": {"type": "object"},
    "date (yyyy-mm-dd)": {"type": "string", "format": "date"},
    "time (24-hour hh:mm)": {"type": "string", "pattern": "^([01]\\d|2[0-3]):[0-5]\\d$"},
    "binary": {"type": "string", "contentEncoding": "base64"},
    "geopoint (latitude, longitude)": {"type": "string"},
}


def parse(value: Any, prefix: str, ctx: ParseContext) -> Parsed:
    return each_record(value, prefix, ctx, _item)


def _item(item: Any, pointer: str, ctx: ParseContext) -> Parsed:
    if isinstance(item, dict) and "api_list" in item:
        apis = item["api_list"]
        if not isinstance(apis, list):
            yield ctx.reject(ptr(pointer, "api_list"), "malformed_entry", "'api_list' must be a list", item)
            return
        for i, api in enumerate(apis):
            yield from _api(api, ptr(pointer, "api_list", i), ctx)
        return
    yield from _api(item, pointer, ctx)


def _api(api: Any, pointer: str, ctx: ParseContext) -> Parsed:
    if not isinstance(api, dict):
        yield ctx.reject(
            pointer, "malformed_entry", f"expected an api_list entry, got {type(api).__name__}", api
        )
        return
    notes: set[str] = set()
    properties: dict[str, Any] = {}
    required: list[str] = []
    for group in ("required_parameters", "optional_parameters"):
        params = api.get(group) or []
        if not isinstance(params, list):
            yield ctx.reject(ptr(pointer, group), "malformed_entry", f"'{group}' must be a list", api)
            return
        for j, param in enumerate(params):
            if not isinstance(param, dict) or not isinstance(param.get("name"), str) or not param["name"]:
                yield ctx.reject(
                    ptr(pointer, group, j), "malformed_entry", "a parameter needs a string 'name'", api
                )
                return
            properties[param["name"]] = _param_schema(param, notes)
            if group == "required_parameters":
                required.append(param["name"])
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = list(dict.fromkeys(required))
    returns = None
    if "template_response" in api:
        from envscale.environments.catalog.schema import SchemaProblem, shape_to_schema

        try:
            returns = shape_to_schema(api["template_response"])
            notes.add("return schema derived from template_response")
        except SchemaProblem as exc:
            notes.add(f"template_response dropped: {exc.message}")
    category = text_or_none(api.get("category_name"))
    tool_name = text_or_none(api.get("tool_name"))
    yield RawTool(
        name=api.get("api_name"),
        description=api.get("api_description"),
        parameters=parameters,
        returns=returns,
        pointer=pointer,
        fmt=ctx.fmt,
        kind_evidence=method_kind(api.get("method")),
        categories=(category,) if category else (),
        namespace=tool_name,
        qualify_name=tool_name is not None,
        notes=notes,
        excerpt=api,
    )


def _param_schema(param: dict[str, Any], notes: set[str]) -> dict[str, Any]:
    raw_type = param.get("type")
    key = raw_type.strip().lower() if isinstance(raw_type, str) else ""
    schema = dict(_TYPES.get(key, {}))
    if key not in _TYPES:
        notes.add(f"RapidAPI type {raw_type!r} kept as any type")
    description = param.get("description")
    if isinstance(description, str) and description:
        schema["description"] = description
    if "default" in param and param["default"] not in (None, ""):
        schema["default"] = param["default"]
    return schema
