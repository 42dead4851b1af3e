"""The LLM design's guards: JSON extracted from prose, caps on schemas and programs, and checked repairs.

propose_design itself is exercised in tests/environments/schema/test_infer.py.
"""

from __future__ import annotations

import json

import pytest

from envscale.environments.programs.checker import ProgramError
from envscale.environments.programs.model import ToolProgram
from envscale.environments.runtime.contracts import EnvTool
from envscale.environments.schema.llm import (
    MAX_COLUMNS,
    MAX_STATEMENT_CHARS,
    MAX_STATEMENTS,
    MAX_TABLES,
    DesignError,
    extract_json,
    program_over_caps,
    repair_program,
    schema_over_caps,
)
from envscale.environments.schema.model import Column, SchemaModel, Table
from tests.support import shop_env

TOOL = EnvTool(
    name="get_order",
    description="One order.",
    parameters={"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
    kind="read",
)
BROKEN = ToolProgram(
    name="get_order", kind="read", result="SELECT * FROM order_rows WHERE order_id = $order_id"
)


def test_extract_json_tolerates_fences_and_prose_only():
    assert extract_json('Here you go:\n```json\n{"a": 1}\n```\nthanks') == {"a": 1}
    assert extract_json('Sure! {"a": {"b": 2}} hope that helps') == {"a": {"b": 2}}
    with pytest.raises(DesignError, match="no JSON object"):
        extract_json("I cannot do that.")
    with pytest.raises(DesignError, match="not valid JSON"):
        extract_json('{"a": 1,}')


def test_caps_on_schemas_and_programs():
    def table(i, n_columns=1):
        cols = tuple(Column(name=f"c{j}", type="VARCHAR") for j in range(n_columns))
        return Table(name=f"t{i}", columns=cols, primary_key=("c0",))

    assert schema_over_caps(shop_env.SCHEMA) is None
    assert schema_over_caps(SchemaModel(tables=tuple(table(i) for i in range(MAX_TABLES + 1)))).startswith(
        "schema has 33 tables"
    )
    assert "65 columns" in schema_over_caps(SchemaModel(tables=(table(0, MAX_COLUMNS + 1),)))
    assert program_over_caps(BROKEN) is None
    many = ToolProgram(
        name="x",
        kind="read",
        result="SELECT 1",
        preconditions=[{"sql": "SELECT 1", "error": "e"}] * MAX_STATEMENTS,
    )
    assert program_over_caps(many) == f"{MAX_STATEMENTS + 1} statements (at most {MAX_STATEMENTS})"
    long = ToolProgram(name="x", kind="read", result="SELECT " + "1 + " * MAX_STATEMENT_CHARS + "1")
    assert program_over_caps(long).startswith("a statement of")


def test_repair_program_keeps_the_name_and_checks_the_fix():
    fixed_reply = json.dumps(
        {"name": "renamed", "kind": "read", "result": "SELECT * FROM orders WHERE order_id = $order_id"}
    )
    seen = []

    def complete(messages):
        seen.append(json.loads(messages[1]["content"]))
        return fixed_reply

    fixed = repair_program(BROKEN, TOOL, shop_env.SCHEMA, "Catalog Error: order_rows", complete)
    assert (fixed.name, fixed.origin) == ("get_order", "llm")
    assert seen[0]["failure"] == "Catalog Error: order_rows" and seen[0]["program"]["result"] == BROKEN.result
    with pytest.raises(ProgramError):
        repair_program(
            BROKEN,
            TOOL,
            shop_env.SCHEMA,
            "x",
            lambda _: json.dumps({"kind": "read", "result": "DROP TABLE orders"}),
        )
