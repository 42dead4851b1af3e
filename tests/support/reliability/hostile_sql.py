"""Hostile SQL an LLM could propose for tool programs, and a small environment to aim it at.

Each statement names its category and whether a raw sandboxed DuckDB connection refuses
it on its own (file access, ATTACH, INSTALL, SET, ...): multi-statement strings, DDL and
DETACH are refused by the runtime's own DuckDB-parser wall (``sandbox.statement_refusal``),
since DuckDB itself would run them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATEGORIES = (
    "read_file",
    "write_file",
    "attach",
    "extension",
    "pragma",
    "set",
    "other_environment",
    "warehouse",
    "multi_statement",
    "ddl",
)


@dataclass(frozen=True)
class Hostile:
    category: str
    sql: str  # placeholders: {dir} a scratch folder, {warehouse} the warehouse file, {other} another env's table
    write: bool = False
    raw_refused: bool = True  # a bare sandboxed connection refuses it too

    def render(self, **values: Any) -> str:
        return self.sql.format(**values)


HOSTILE: tuple[Hostile, ...] = (
    Hostile("read_file", "SELECT * FROM read_csv('{dir}/secret.csv')"),
    Hostile("read_file", "SELECT * FROM read_text('{dir}/secret.csv')"),
    Hostile("read_file", "SELECT * FROM read_blob('{dir}/secret.csv')"),
    Hostile("read_file", "SELECT * FROM read_json_auto('{dir}/secret.json')"),
    Hostile("read_file", "SELECT * FROM '{dir}/secret.csv'"),
    Hostile("read_file", "SELECT * FROM glob('{dir}/*')"),
    Hostile(
        "read_file", "SELECT * FROM orders WHERE item IN (SELECT column0 FROM read_csv('{dir}/secret.csv'))"
    ),
    Hostile("read_file", "INSERT INTO orders SELECT * FROM read_csv('{dir}/secret.csv')", write=True),
    Hostile("write_file", "COPY orders TO '{dir}/stolen.csv'"),
    Hostile("write_file", "COPY (SELECT * FROM customers) TO '{dir}/stolen.parquet' (FORMAT parquet)"),
    Hostile("write_file", "EXPORT DATABASE '{dir}/export'"),
    Hostile("attach", "ATTACH '{warehouse}' AS wh"),
    Hostile("attach", "ATTACH '{dir}/new.duckdb' AS x"),
    Hostile("extension", "INSTALL httpfs"),
    Hostile("extension", "LOAD httpfs"),
    Hostile("extension", "FORCE INSTALL sqlite"),
    Hostile("pragma", "PRAGMA enable_external_access=true"),
    Hostile("pragma", "PRAGMA threads=64"),
    Hostile("set", "SET enable_external_access = true"),
    Hostile("set", "SET lock_configuration = false"),
    Hostile("set", "SET allow_unsigned_extensions = true"),
    Hostile("set", "RESET enable_external_access"),
    Hostile("other_environment", "SELECT * FROM {other}"),
    Hostile("other_environment", "DELETE FROM {other}", write=True),
    Hostile("warehouse", "SELECT * FROM runs"),
    Hostile("warehouse", "SELECT * FROM wh.main.tools"),
    Hostile("warehouse", "SELECT * FROM '{warehouse}'"),
    Hostile("multi_statement", "SELECT * FROM orders; DROP TABLE customers", raw_refused=False),
    Hostile("multi_statement", "DELETE FROM orders; SELECT 1", write=True, raw_refused=False),
    Hostile(
        "multi_statement",
        "UPDATE orders SET status = 'x'; DROP TABLE customers",
        write=True,
        raw_refused=False,
    ),
    Hostile("multi_statement", "SELECT 1; ATTACH '{dir}/x.duckdb' AS x", raw_refused=False),
    Hostile("ddl", "DROP TABLE customers", write=True, raw_refused=False),
    Hostile("ddl", "CREATE TABLE stash AS SELECT * FROM customers", write=True, raw_refused=False),
    Hostile("ddl", "DETACH memory", raw_refused=False),
)

# Values an agent may pass that look like SQL: they must be stored and compared as plain data.
INJECTIONS: tuple[str, ...] = (
    "'; DROP TABLE orders; --",
    "x' OR '1'='1",
    "1; DELETE FROM customers",
    "$customer_id",
    "'); ATTACH '/tmp/x.duckdb' AS x; --",
    "\\'; COPY orders TO '/tmp/o.csv'; --",
    "Robert'); DROP TABLE notes;--",
)


def shop_schema() -> Any:
    """customers, orders and notes: enough tables to be worth attacking."""
    from envscale.environments.schema.model import Column, SchemaModel, Table

    def table(name: str, key: str, *cols: str) -> Table:
        columns = (
            Column(name=key, type="VARCHAR", nullable=False),
            *(Column(name=c, type="VARCHAR") for c in cols),
        )
        return Table(name=name, columns=columns, primary_key=(key,))

    return SchemaModel(
        tables=(
            table("customers", "customer_id", "name"),
            table("orders", "order_id", "customer_id", "item", "status"),
            table("notes", "note_id", "body"),
        )
    )


def load_shop(programs: tuple[Any, ...], tools: tuple[Any, ...], *, prefix: str = "") -> Any:
    """A sandboxed in-memory shop (tables optionally renamed with ``prefix``) running the given programs."""
    from envscale.environments import sandbox
    from envscale.environments.runtime.loaded import LoadedEnvironment
    from envscale.environments.schema.ddl import table_ddl
    from envscale.environments.schema.model import SchemaModel

    schema = shop_schema()
    if prefix:
        schema = SchemaModel(
            tables=tuple(t.model_copy(update={"name": prefix + t.name}) for t in schema.tables)
        )
    con = sandbox.connect()
    for t in schema.tables:
        con.execute(table_ddl(t))
    names = {t: prefix + t for t in ("customers", "orders", "notes")}
    con.execute(f"INSERT INTO {names['customers']} VALUES ('c1', 'Ada'), ('c2', 'Bob')")
    con.execute(
        f"INSERT INTO {names['orders']} VALUES ('o1', 'c1', 'lamp', 'pending'), ('o2', 'c2', 'mug', 'sent')"
    )
    con.execute(f"INSERT INTO {names['notes']} VALUES ('n1', 'hello')")
    return LoadedEnvironment(
        env_id=f"hostile{prefix}", schema=schema, tools=tools, programs=programs, con=con
    )


def hostile_program(name: str, sql: str, *, write: bool) -> tuple[Any, Any]:
    """The statement as a tool program (not checked) and its no-argument tool."""
    from envscale.environments.programs.model import ToolProgram, WriteStatement
    from envscale.environments.runtime.contracts import EnvTool

    params = {"type": "object", "properties": {}}
    if write:
        program = ToolProgram(
            name=name, kind="write", writes=(WriteStatement(sql=sql, table="orders"),), origin="llm"
        )
    else:
        program = ToolProgram(name=name, kind="read", result=sql, origin="llm")
    tool = EnvTool(name=name, description="hostile", parameters=params, kind=program.kind)
    return program, tool


def note_program() -> tuple[Any, Any]:
    """add_note(note_id, body): a write whose arguments are bound parameters."""
    from envscale.environments.programs.model import ToolProgram, WriteStatement
    from envscale.environments.runtime.contracts import EnvTool

    params = {
        "type": "object",
        "properties": {"note_id": {"type": "string"}, "body": {"type": "string"}},
        "required": ["note_id", "body"],
    }
    program = ToolProgram(
        name="add_note",
        kind="write",
        writes=(
            WriteStatement(
                sql='INSERT INTO "notes" ("note_id", "body") VALUES ($note_id, $body)', table="notes"
            ),
        ),
        result_mode="row",
    )
    return program, EnvTool(name="add_note", description="Add a note.", parameters=params, kind="write")


def scratch(directory: Path) -> None:
    """Files a hostile statement would like to read."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "secret.csv").write_text("TOPSECRET,1\n")
    (directory / "secret.json").write_text('{"s": "TOPSECRET"}')


# Statements that are allowed SQL but would run unbounded: the checker refuses the ones DuckDB
# cannot interrupt (one huge value built in a single call); the runtime time limit stops the rest.
@dataclass(frozen=True)
class Unbounded:
    name: str
    sql: str
    checker_refuses: bool  # refused statically (and again when the runtime loads the program)


UNBOUNDED: tuple[Unbounded, ...] = (
    Unbounded(
        "recursive_cte",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) AS n FROM r",
        checker_refuses=False,
    ),
    Unbounded(
        "cross_join",
        "SELECT count(*) AS n FROM orders a, orders b, orders c, orders d, orders e, orders f, orders g,"
        " orders h, orders i, orders j, orders k, orders l, orders m, orders n2, orders o, orders p,"
        " orders q, orders r, orders s, orders t, orders u, orders v, orders w, orders x, orders y,"
        " orders z, orders a2, orders b2, orders c2, orders d2, orders e2, orders f2, orders g2, orders h2,"
        " orders i2, orders j2, orders k2, orders l2, orders m2, orders o2",
        checker_refuses=False,
    ),
    Unbounded("list_sum_series", "SELECT list_sum(generate_series(1, 200000000)) AS n", checker_refuses=True),
    Unbounded("repeat", "SELECT length(repeat('x', 1000000000)) AS n", checker_refuses=True),
)
