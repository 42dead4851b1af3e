"""An environment loaded once per process: a shared, sandboxed in-memory copy of its state.

Episodes are transactions on cursors of this one database (DuckDB MVCC gives
each its own snapshot, and rollback discards its writes), so opening one costs
a cursor and a BEGIN. The base rows and their hashes are kept in Python so an
episode's diff and state hash only look at the rows it touched.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from jsonschema import Draft202012Validator

from envscale.environments import sandbox
from envscale.environments.programs.checker import runtime_refusal, statement_params
from envscale.environments.programs.model import ToolProgram, sql_params
from envscale.environments.runtime import row_reads
from envscale.environments.runtime.contracts import EnvTool
from envscale.environments.runtime.values import HASH_MOD, json_columns, normalize_row, row_hash
from envscale.environments.schema.ddl import table_ddl
from envscale.environments.schema.model import SchemaModel


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple[str, ...]
    table: str | None = None
    op: str | None = None  # insert | update | delete for writes

    def bind(self, values: dict[str, Any]) -> dict[str, Any]:
        return {p: values.get(p) for p in self.params}


@dataclass(frozen=True)
class CompiledProgram:
    """A program ready to run: statements with their parameter lists, the argument validator."""

    program: ToolProgram
    tool: EnvTool
    validator: Any
    arguments: tuple[tuple[str, str], ...]  # (argument name, sql param name)
    preconditions: Statement | None
    checks: tuple[tuple[bool, str], ...]  # (must return a row, error)
    writes: tuple[Statement, ...]
    result: Statement | None
    uses_new_id: bool
    refused: str | None = None  # why the sandbox will not run it (calls fail with this reason)
    # The same preconditions and result planned as Python filters over the episode's rows
    # (environments.runtime.row_reads); None where any statement needs DuckDB.
    row_checks: tuple[row_reads.RowFilter, ...] | None = None
    row_result: row_reads.RowFilter | None = None


def compile_program(
    program: ToolProgram, tool: EnvTool, schema: SchemaModel | None = None
) -> CompiledProgram:
    pre = None
    checks: list[tuple[bool, str]] = []
    if program.preconditions:
        # One statement for all preconditions: each statement costs ≥0.2 ms.
        cols = ", ".join(f"EXISTS ({p.sql}) AS c{i}" for i, p in enumerate(program.preconditions))
        sql = f"SELECT {cols}"
        pre = Statement(sql, tuple(statement_params(sql)))
        checks = [(p.expect == "row", p.error) for p in program.preconditions]
    writes = []
    for w in program.writes:
        head = w.sql.lstrip().split(None, 1)[0].lower()
        sql = w.sql.rstrip().rstrip(";") + " RETURNING *"
        writes.append(Statement(sql, tuple(statement_params(w.sql)), table=w.table, op=head))
    result = Statement(program.result, tuple(statement_params(program.result))) if program.result else None
    props = tool.parameters.get("properties", {}) or {}
    uses_new_id = any("_new_id" in s for s in program.statements())
    # Second wall, whether or not the checker ran: one statement of an allowed kind each.
    walls = [(pre.sql, False)] if pre else []
    walls += [(w.sql, True) for w in writes] + ([(result.sql, False)] if result else [])
    refusals = (
        (sandbox.statement_refusal(sql, write=write) or runtime_refusal(sql), sql) for sql, write in walls
    )
    refused = next((f"{why}: {sql[:200]!r}" for why, sql in refusals if why), None)
    return CompiledProgram(
        program=program,
        tool=tool,
        validator=Draft202012Validator(tool.parameters),
        # Unique per tool: 'ship-to' and 'ship_to' must not bind one $name (one value would be lost).
        arguments=tuple(sql_params(props).items()),
        preconditions=pre,
        checks=tuple(checks),
        writes=tuple(writes),
        result=result,
        uses_new_id=uses_new_id,
        refused=refused,
        **(_row_plans(program, schema) if schema is not None and not refused else {}),
    )


def _row_plans(program: ToolProgram, schema: SchemaModel) -> dict[str, Any]:
    """Preconditions as Python filters when every one plans; a read's result likewise."""
    checks = [row_reads.plan(p.sql, schema) for p in program.preconditions]
    planned: dict[str, Any] = {}
    if program.preconditions and all(c is not None for c in checks):
        planned["row_checks"] = tuple(checks)
    if program.result and not program.writes:
        planned["row_result"] = row_reads.plan(program.result, schema)
    return planned


class LoadedEnvironment:
    """The shared base state of one environment in this process."""

    def __init__(
        self,
        *,
        env_id: str,
        schema: SchemaModel,
        tools: tuple[EnvTool, ...],
        programs: tuple[ToolProgram, ...],
        con: duckdb.DuckDBPyConnection,
        clock: str = "2024-05-15T15:00:00",
        python_reads: bool = True,
    ) -> None:
        self.env_id = env_id
        self.schema = schema
        self.tools = tuple(tools)
        self.clock = clock
        self.con = con
        by_tool = {t.name: t for t in tools}
        self.programs: dict[str, CompiledProgram] = {
            p.name: compile_program(p, by_tool[p.name], schema if python_reads else None)
            for p in programs
            if p.name in by_tool
        }
        self._lock = threading.Lock()
        self._forks = 0
        self.catalog = con.execute("SELECT current_database()").fetchone()[0]
        self.columns: dict[str, tuple[str, ...]] = {}
        self.pk_index: dict[str, tuple[int, ...]] = {}
        self.json_cols: dict[str, tuple[int, ...]] = {}
        self.base: dict[str, dict[tuple, tuple]] = {}
        self.base_hashes: dict[str, dict[tuple, int]] = {}
        self.base_sums: dict[str, int] = {}
        self._load_base()
        self.base_index = {t: row_reads.BaseIndex(rows) for t, rows in self.base.items()}

    # -- construction --------------------------------------------------------
    @classmethod
    def from_file(
        cls,
        db_path: Path,
        *,
        env_id: str,
        schema: SchemaModel,
        tools,
        programs,
        clock: str,
        python_reads: bool = True,
    ) -> LoadedEnvironment:
        """Copy an environment file into a fresh sandboxed in-memory database."""
        if not Path(db_path).is_file():
            raise FileNotFoundError(f"environment database not found: {db_path}")
        src = sandbox.connect(db_path, read_only=True)
        con = sandbox.connect()
        try:
            for table in schema.parents_first():
                con.execute(table_ddl(table))
                sandbox.load_arrow(con, table.name, src.sql(f'SELECT * FROM "{table.name}"').to_arrow_table())
        finally:
            src.close()
        return cls(
            env_id=env_id,
            schema=schema,
            tools=tools,
            programs=programs,
            con=con,
            clock=clock,
            python_reads=python_reads,
        )

    def _load_base(self) -> None:
        for table in self.schema.tables:
            cur = self.con.execute(f'SELECT * FROM "{table.name}"')
            names = tuple(d[0] for d in cur.description)
            rows = [normalize_row(r) for r in cur.fetchall()]
            idx = tuple(names.index(k) for k in table.primary_key)
            self.columns[table.name] = names
            self.pk_index[table.name] = idx
            jcols = json_columns(names, {c.name: c.type for c in table.columns})
            self.json_cols[table.name] = jcols
            base = {tuple(r[i] for i in idx): r for r in rows}
            hashes = {k: row_hash(table.name, r, jcols) for k, r in base.items()}
            self.base[table.name] = base
            self.base_hashes[table.name] = hashes
            self.base_sums[table.name] = sum(hashes.values()) % HASH_MOD

    # -- episodes ------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self.con.cursor()

    def make_fork(self, cur: duckdb.DuckDBPyConnection) -> str:
        """Attach a private in-memory database holding the base state and make it ``cur``'s default.

        Programs name tables unqualified (the checker refuses qualified names), so
        after ``USE`` they only ever see the fork.
        """
        with self._lock:
            self._forks += 1
            name = f"fork_{self._forks}"
        cur.execute(f"ATTACH ':memory:' AS {name}")
        cur.execute(f"USE {name}")
        cur.execute("BEGIN TRANSACTION")
        for table in self.schema.parents_first():
            cur.execute(table_ddl(table))
            cur.execute(f'INSERT INTO "{table.name}" SELECT * FROM {self.catalog}.main."{table.name}"')
        cur.execute("COMMIT")
        return name

    def drop_fork(self, cur: duckdb.DuckDBPyConnection, name: str) -> None:
        cur.execute(f"USE {self.catalog}")
        cur.execute(f"DETACH {name}")

    def open_episode(self):
        from envscale.environments.runtime.episode import EnvEpisode

        return EnvEpisode(self)

    def close(self) -> None:
        self.con.close()


def full_state_hash(con: duckdb.DuckDBPyConnection, schema: SchemaModel) -> str:
    """The canonical state hash computed from scratch: every row of every table, in primary-key order."""
    from envscale.environments.runtime.values import combine

    sums: dict[str, int] = {}
    for table in schema.tables:
        order = ", ".join(f'"{k}"' for k in table.primary_key)
        cur = con.execute(f'SELECT * FROM "{table.name}" ORDER BY {order}')
        jcols = json_columns([d[0] for d in cur.description], {c.name: c.type for c in table.columns})
        rows = cur.fetchall()
        sums[table.name] = sum(row_hash(table.name, normalize_row(r), jcols) for r in rows) % HASH_MOD
    return combine(sums)
