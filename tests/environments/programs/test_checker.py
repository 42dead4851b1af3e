"""The program checker: one SELECT/INSERT/UPDATE/DELETE on the environment's own tables, bound parameters only."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from envscale.environments.programs.checker import (
    ProgramError,
    check_program,
    check_statement,
    statement_params,
)
from envscale.environments.programs.model import Precondition, ToolProgram, WriteStatement

TABLES = ["orders", "customers"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM orders WHERE order_id = $order_id",
        "SELECT o.* FROM orders o JOIN customers c USING (customer_id) WHERE c.customer_id = $c",
        "WITH x AS (SELECT * FROM orders) SELECT count(*) FROM x",
        "SELECT unnest(from_json($ids, '[\"VARCHAR\"]')) AS id",
    ],
)
def test_allowed_selects(sql):
    check_statement(sql, TABLES, write=False)


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "tables may be read"),
        ("SELECT * FROM '/etc/passwd'", "not one of the environment"),
        ("SELECT * FROM glob('/*')", "tables may be read"),
        ("SELECT 1; SELECT 2", "exactly one statement"),
        ("SELECT * FROM secrets", "not one of the environment"),
        ("SELECT * FROM other.main.orders", "qualified"),
        ("SELECT getenv('HOME')", "not allowed"),
        ("SELECT * FROM duckdb_settings()", "tables may be read"),
        ("PRAGMA version", "only SELECT"),
        ("DELETE FROM orders", "only SELECT"),
    ],
)
def test_refused_selects(sql, why):
    with pytest.raises(ProgramError, match=why):
        check_statement(sql, TABLES, write=False)


@pytest.mark.parametrize(
    "sql",
    [
        "ATTACH 'x.db' AS x",
        "COPY orders TO 'x.csv'",
        "INSTALL httpfs",
        "CREATE TABLE x (a INT)",
        "DROP TABLE orders",
        "INSERT INTO orders SELECT * FROM read_parquet('x.parquet')",
        "UPDATE orders SET status = $s RETURNING *",
        "SELECT * FROM orders",
    ],
)
def test_refused_writes(sql):
    with pytest.raises(ProgramError):
        check_statement(sql, TABLES, write=True)


def _program(**kw) -> ToolProgram:
    base = {
        "name": "t",
        "kind": "write",
        "writes": (
            WriteStatement(
                sql="UPDATE orders SET status = $status WHERE order_id = $order_id", table="orders"
            ),
        ),
    }
    return ToolProgram(**{**base, **kw})


PARAMS = {"type": "object", "properties": {"order_id": {"type": "string"}, "status": {"type": "string"}}}


def test_program_rules():
    check_program(_program(), TABLES, PARAMS)
    with pytest.raises(ProgramError, match="read program must not write"):
        check_program(_program(kind="read", result="SELECT 1"), TABLES, PARAMS)
    with pytest.raises(ProgramError, match="declared customers"):
        check_program(
            _program(
                writes=(
                    WriteStatement(sql="DELETE FROM orders WHERE order_id = $order_id", table="customers"),
                )
            ),
            TABLES,
            PARAMS,
        )
    with pytest.raises(ProgramError, match="unknown parameters"):
        check_program(
            _program(preconditions=(Precondition(sql="SELECT 1 FROM orders WHERE x = $nope", error="e"),)),
            TABLES,
            PARAMS,
        )
    # the runtime's implicit parameters are known
    check_program(
        _program(
            writes=(WriteStatement(sql="INSERT INTO orders (order_id) VALUES ($_new_id)", table="orders"),)
        ),
        TABLES,
        PARAMS,
    )


def test_non_ascii_argument_names_bind_parameters_the_checker_knows():
    """'prénom' must not become '$prénom': the checker's (and DuckDB's) $name stops at 'é'."""
    from envscale.environments.programs.compiler import compile_plan
    from envscale.environments.schema.infer import infer_schema

    params = {
        "type": "object",
        "properties": {
            "customer_id": {"type": "string"},
            "prénom": {"type": "string"},
            "名前": {"type": "string"},
        },
        "required": ["customer_id"],
    }
    tool = SimpleNamespace(name="create_order", description="", kind="write", parameters=params)
    inferred = infer_schema([tool])
    program = compile_plan(inferred.plans["create_order"], inferred.schema)
    check_program(program, inferred.schema.table_names, params)  # raised "unknown parameters ['pr']"
    assert all(p.isascii() for p in statement_params(program.writes[0].sql))


def test_argument_names_that_normalise_alike_get_distinct_parameters():
    from envscale.environments.programs.model import sql_params

    names = sql_params(["ship-to", "ship_to", "Ship_To", "_now", "x y"])
    assert names["ship_to"] == "ship_to"  # exact spellings keep their name
    assert len({v.lower() for v in names.values()}) == 5  # DuckDB's $names ignore case
    assert names["_now"] != "_now"  # implicit parameters are reserved
