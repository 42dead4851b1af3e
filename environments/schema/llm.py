"""LLM schema design and program repair, as strict structured JSON.

The LLM is an injected ``complete(messages) -> str`` (an OpenAI-compatible
endpoint behind it), so the core does not depend on a client. Replies are
parsed strictly: a pydantic-valid schema, programs that pass the checker;
anything else raises and the builder falls back to the rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from envscale.environments.programs.checker import ProgramError, check_program
from envscale.environments.programs.model import IMPLICIT_PARAMS, ToolProgram
from envscale.environments.runtime.contracts import EnvTool
from envscale.environments.schema.model import SchemaModel
from envscale.errors import DataError

Complete = Callable[[list[dict[str, str]]], str]

_RULES = (
    "Rules: DuckDB SQL. Each statement is ONE SELECT (preconditions, result) or ONE INSERT/UPDATE/DELETE "
    "(writes) over the schema's tables only; no RETURNING, no table functions, no files. Refer to tool "
    "arguments ONLY as bound parameters $argument_name (never paste values). Implicit parameters: "
    + "; ".join(f"${k}: {v}" for k, v in IMPLICIT_PARAMS.items())
    + ". A read program has a result query and no writes; a write program declares the table of each write."
)


class DesignError(DataError):
    """The LLM's reply is not a usable design."""


# Caps on an LLM-proposed design (a reply is untrusted): past them the design is rejected with
# the reason and the builder falls back to the rules; a program past the statement caps is dropped.
MAX_TABLES = 32
MAX_COLUMNS = 64  # per table
MAX_STATEMENTS = 16  # per program
MAX_STATEMENT_CHARS = 4000


def schema_over_caps(schema: SchemaModel) -> str | None:
    """Why an LLM-proposed schema is too large to build, or None."""
    if len(schema.tables) > MAX_TABLES:
        return f"schema has {len(schema.tables)} tables (at most {MAX_TABLES})"
    for table in schema.tables:
        if len(table.columns) > MAX_COLUMNS:
            return f"table {table.name!r} has {len(table.columns)} columns (at most {MAX_COLUMNS})"
    return None


def program_over_caps(program: ToolProgram) -> str | None:
    """Why an LLM-proposed program is too large to run, or None."""
    statements = program.statements()
    if len(statements) > MAX_STATEMENTS:
        return f"{len(statements)} statements (at most {MAX_STATEMENTS})"
    longest = max((len(s) for s in statements), default=0)
    if longest > MAX_STATEMENT_CHARS:
        return f"a statement of {longest} characters (at most {MAX_STATEMENT_CHARS})"
    return None


def extract_json(reply: str) -> Any:
    """The JSON object in a reply (code fences and surrounding prose tolerated, nothing else)."""
    text = reply.strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fence:
        text = fence.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise DesignError("no JSON object in the reply")
    try:
        return json.loads(text[start : end + 1])
    except json.JSONDecodeError as exc:
        raise DesignError(f"reply is not valid JSON: {exc}") from None


def propose_design(
    tools: Sequence[Any], complete: Complete
) -> tuple[SchemaModel, dict[str, ToolProgram], dict[str, str]]:
    """Ask for {"schema": SchemaModel, "programs": [ToolProgram]}; returns schema, valid programs, rejected tools."""
    listing = [
        {"name": t.name, "description": (t.description or "")[:300], "parameters": t.parameters}
        for t in tools
    ]
    messages = [
        {
            "role": "system",
            "content": "You design the database behind a set of tools and write each tool as a declarative program. "
            'Answer with one JSON object {"schema": ..., "programs": [...]} matching these JSON Schemas.\n'
            f"schema: {json.dumps(SchemaModel.model_json_schema())}\nprogram: {json.dumps(ToolProgram.model_json_schema())}\n"
            + _RULES,
        },
        {"role": "user", "content": json.dumps(listing)},
    ]
    data = extract_json(complete(messages))
    if not isinstance(data, dict) or "schema" not in data or "programs" not in data:
        raise DesignError("reply lacks 'schema' or 'programs'")
    schema = SchemaModel.model_validate({**data["schema"], "origin": "llm"})
    too_big = schema_over_caps(schema)
    if too_big:
        raise DesignError(f"design over its caps: {too_big}")
    by_name = {t.name: t for t in tools}
    programs: dict[str, ToolProgram] = {}
    rejected: dict[str, str] = {}
    for raw in data["programs"] if isinstance(data["programs"], list) else []:
        try:
            program = ToolProgram.model_validate({**raw, "origin": "llm"})
            if program.name not in by_name:
                continue
            too_big = program_over_caps(program)
            if too_big:
                raise ProgramError(f"program over its caps: {too_big}")
            check_program(program, schema.table_names, by_name[program.name].parameters)
        except (ProgramError, ValueError, TypeError) as exc:
            name = raw.get("name") if isinstance(raw, dict) else None
            if name in by_name:
                rejected[name] = f"llm_program_invalid: {str(exc)[:300]}"
            continue
        programs[program.name] = program
    for name in by_name:
        if name not in programs and name not in rejected:
            rejected[name] = "llm_program_missing"
    if not programs:
        raise DesignError("no valid program in the reply")
    return schema, programs, rejected


def repair_program(
    program: ToolProgram, tool: EnvTool, schema: SchemaModel, failure: str, complete: Complete
) -> ToolProgram:
    """Ask for a corrected program after a self-test failure."""
    messages = [
        {
            "role": "system",
            "content": "Fix a tool program that failed its self-test. Answer with one JSON object matching: "
            f"{json.dumps(ToolProgram.model_json_schema())}\n{_RULES}",
        },
        {
            "role": "user",
            "content": json.dumps(
                {
                    "schema": schema.model_dump(mode="json"),
                    "tool": tool.openai_schema(),
                    "program": program.model_dump(mode="json"),
                    "failure": failure,
                }
            ),
        },
    ]
    data = extract_json(complete(messages))
    fixed = ToolProgram.model_validate({**data, "name": program.name, "origin": "llm"})
    too_big = program_over_caps(fixed)
    if too_big:
        raise ProgramError(f"program over its caps: {too_big}")
    check_program(fixed, schema.table_names, tool.parameters)
    return fixed
