"""One raw tool -> a ToolRecord (named by its preferred canonical name) or a Rejection."""

from __future__ import annotations

import re

from envscale.environments.catalog.formats.base import ParseContext, RawTool
from envscale.environments.catalog.kind import decide
from envscale.environments.catalog.naming import base_name
from envscale.environments.catalog.records import Rejection, SourceRef, ToolRecord
from envscale.environments.catalog.schema import (
    Limits,
    SchemaProblem,
    check_refs,
    object_schema,
    repair_required,
    schema_error,
    to_json_schema,
)
from envscale.hashing import content_hash

MAX_NAME_CHARS = 1_000
_WORDS = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalize(raw: RawTool, ctx: ParseContext, limits: Limits) -> ToolRecord | Rejection:
    def fail(code: str, reason: str) -> Rejection:
        return ctx.reject(raw.pointer, code, reason, raw.excerpt)

    name = raw.name
    if name is None or (isinstance(name, str) and not name.strip()):
        return fail("missing_name", "the tool has no name")
    if not isinstance(name, str):
        return fail("invalid_field", f"the name must be a string, got {type(name).__name__}")
    name = name.strip()
    if len(name) > MAX_NAME_CHARS:
        return fail("invalid_field", f"the name is {len(name):,} chars long (limit {MAX_NAME_CHARS:,})")

    notes = set(raw.notes)
    description = raw.description
    if description is None:
        description = ""
    if not isinstance(description, str):
        return fail("invalid_field", f"the description must be a string, got {type(description).__name__}")
    if len(description) > limits.max_string:
        return fail(
            "description_too_long",
            f"the description is {len(description):,} chars long (limit {limits.max_string:,})",
        )
    description = description.strip()
    if not description:
        description = _humanize(name, raw.namespace) + "."
        notes.add("description generated from the name (the source has none)")

    try:
        if raw.parameters is None:
            parameters = {"type": "object", "properties": {}}
            notes.add("no parameters in the source: takes no arguments")
        else:
            parameters = object_schema(to_json_schema(raw.parameters, limits=limits, notes=notes), notes)
            parameters = repair_required(parameters, notes)
        problem = schema_error(parameters)
        if not problem:
            check_refs(parameters)
    except SchemaProblem as exc:
        return fail(exc.code, exc.message)
    except RecursionError:
        return fail("schema_too_deep", "the parameters schema nests too deeply")
    if problem:
        return fail("invalid_schema", f"parameters are not valid JSON Schema 2020-12 {problem}")

    returns = None
    if raw.returns is not None:
        try:
            returns = to_json_schema(raw.returns, limits=limits, notes=notes)
            problem = schema_error(returns) if isinstance(returns, dict) else "not an object schema"
            if not problem:
                check_refs(returns)
        except (SchemaProblem, RecursionError) as exc:
            problem = getattr(exc, "message", "nests too deeply")
        if problem:
            notes.add(f"return schema dropped: {problem}"[:300])
            returns = None

    kind, kind_reason = decide(name, raw.kind_evidence)
    preferred = base_name(name, raw.namespace, qualify=raw.qualify_name)
    tool_id = content_hash(
        {"name": preferred, "description": description, "parameters": parameters, "returns": returns}
    )
    return ToolRecord(
        tool_id=tool_id,
        name=preferred,
        original_name=name,
        description=description,
        parameters=parameters,
        returns=returns,
        kind=kind,
        kind_reason=kind_reason,
        source_format=raw.fmt,
        sources=(SourceRef(file=ctx.file, pointer=raw.pointer, format=raw.fmt),),
        categories=raw.categories,
        namespace=raw.namespace,
        notes=tuple(sorted(notes)),
    )


def _humanize(name: str, namespace: str | None) -> str:
    words = _WORDS.findall(_CAMEL.sub(" ", name))
    text = " ".join(words).capitalize() or name
    return f"{text} ({namespace})" if namespace else text
