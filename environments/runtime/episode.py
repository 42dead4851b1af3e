"""One isolated episode: a transaction on the shared in-memory copy, or a private copy after a conflict.

Writes run with ``RETURNING *``; the returned rows are the episode's overlay
(table → key → current row, or None once deleted). The overlay plus the base
rows give ``diff()`` and an incremental ``state_hash()`` without scanning.

Isolation: DuckDB gives every open transaction its own snapshot, so episodes
never see each other's writes. Two episodes writing the same row conflict
(DuckDB aborts the second); that episode then *forks*: it moves to a private
in-memory copy of the base state, replays its own earlier writes there, and
retries the call, so the agent never sees the conflict.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any

import duckdb

from envscale.environments import sandbox
from envscale.environments.runtime import row_reads
from envscale.environments.runtime.contracts import RowChange, ToolResult
from envscale.environments.runtime.values import (
    HASH_MOD,
    combine,
    normalize_row,
    parse_json_columns,
    row_hash,
)
from envscale.hashing import canonical_json, content_hash

if TYPE_CHECKING:
    from envscale.environments.runtime.loaded import CompiledProgram, LoadedEnvironment

_MISSING = object()
_NO_ROWS: dict = {}  # a table the episode has not written: read-only view, never mutated


class _EmptyResult(Exception):
    """A write's result query returned nothing: the call fails and its writes are undone."""


class EnvEpisode:
    """Implements ``envscale.environments.runtime.contracts.Episode``."""

    def __init__(self, env: LoadedEnvironment) -> None:
        self.env = env
        self.env_id = env.env_id
        self.tools = env.tools
        self._cur: duckdb.DuckDBPyConnection | None = env.cursor()
        self._cur.execute("BEGIN TRANSACTION")
        self._fork: str | None = None  # name of the attached private database, once forked
        self._overlay: dict[str, dict[tuple, tuple | None]] = {}
        self._log: list[tuple[str, dict[str, Any]]] = []
        self._writes_done = 0
        self.forked = False
        self.closed = False

    # -- the protocol --------------------------------------------------------
    def call(self, name: str, arguments: dict[str, Any] | None = None) -> ToolResult:
        if self.closed:
            raise RuntimeError("episode is closed")
        cp = self.env.programs.get(name)
        if cp is None:
            known = ", ".join(sorted(self.env.programs))
            return ToolResult(
                ok=False, error=f"unknown tool {name!r}; available: {known}", error_code="unknown_tool"
            )
        return self.run_program(cp, arguments)

    def run_program(self, cp: CompiledProgram, arguments: dict[str, Any] | None = None) -> ToolResult:
        """Run one compiled program on this episode, tool or not (trusted callers: a task's setup)."""
        if self.closed:
            raise RuntimeError("episode is closed")
        if cp.refused:
            return ToolResult(ok=False, error=f"refused by the sandbox: {cp.refused}", error_code="refused")
        arguments = {} if arguments is None else arguments
        if not isinstance(arguments, dict):
            return _invalid(f"arguments must be a JSON object, got {type(arguments).__name__}")
        problems = sorted(cp.validator.iter_errors(arguments), key=lambda e: list(e.absolute_path))
        if problems:
            first = problems[0]
            where = "/".join(str(p) for p in first.absolute_path) or "(arguments)"
            return _invalid(f"{where}: {first.message}")
        params = self._bind(cp, arguments)
        if cp.row_result is not None and (cp.preconditions is None or cp.row_checks is not None):
            answered = self._answer_from_rows(cp, params, arguments)
            if answered is not None:
                return answered
        try:
            return self._run_bounded(cp, params, arguments)
        except sandbox.StatementTimeout as exc:
            self._undo()
            return ToolResult(ok=False, error=f"the tool failed: {exc}", error_code="execution_error")
        except _EmptyResult as exc:
            self._undo()
            return ToolResult(ok=False, error=str(exc), error_code="precondition_failed")
        except duckdb.Error as exc:
            if _is_conflict(exc) and self._fork is None:
                self._move_to_fork()
                try:
                    return self._run_bounded(cp, params, arguments)
                except (duckdb.Error, _EmptyResult, sandbox.StatementTimeout) as again:
                    exc = again  # noqa: PLW2901
            self._undo()
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return ToolResult(ok=False, error=f"the tool failed: {message}", error_code="execution_error")

    def state_hash(self) -> str:
        sums = dict(self.env.base_sums)
        for table, rows in self._overlay.items():
            base_hashes = self.env.base_hashes[table]
            jcols = self.env.json_cols[table]
            total = sums[table]
            for key, current in rows.items():
                old = base_hashes.get(key)
                if old is not None:
                    total -= old
                if current is not None:
                    total += row_hash(table, current, jcols)
            sums[table] = total % HASH_MOD
        return combine(sums)

    def diff(self) -> list[RowChange]:
        changes: list[RowChange] = []
        for table in sorted(self._overlay):
            names = self.env.columns[table]
            pk = self.env.schema.table(table).primary_key
            idx = self.env.pk_index[table]
            base = self.env.base[table]
            for key in sorted(self._overlay[table], key=canonical_json):
                current = self._overlay[table][key]
                before = base.get(key)
                if before == current:
                    continue  # changed and changed back
                op = "insert" if before is None else "delete" if current is None else "update"
                changes.append(
                    RowChange(
                        table=table,
                        key={k: key[i] for i, k in enumerate(pk)} if idx else {},
                        op=op,
                        before=None if before is None else dict(zip(names, before, strict=True)),
                        after=None if current is None else dict(zip(names, current, strict=True)),
                    )
                )
        return changes

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._cur is not None:
            with contextlib.suppress(duckdb.Error):
                self._cur.execute("ROLLBACK")
            if self._fork is not None:
                self.env.drop_fork(self._cur, self._fork)
            self._cur.close()
            self._cur = None

    def __enter__(self) -> EnvEpisode:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- extras ----------------------------------------------------------------
    @property
    def changed_tables(self) -> set[str]:
        return {c.table for c in self.diff()}

    def query(self, sql: str, params: dict[str, Any] | list[Any] | None = None) -> list[dict[str, Any]]:
        """Read the episode's current state (trusted callers: samplers, verifiers). Must be one SELECT."""
        from envscale.environments.programs.checker import check_statement

        check_statement(sql, self.env.schema.table_names, write=False)
        # Trusted code, untrusted data (an LLM-designed schema, a seeded state): bounded like a call.
        try:
            with sandbox.time_limit(self._con()):
                cur = self._con().execute(sql, params or {})
                rows = cur.fetchall()
        except sandbox.StatementTimeout:
            self._undo()  # the interrupt aborted the transaction: restore the episode's writes
            raise
        names = [d[0] for d in cur.description]
        types = [str(d[1]) for d in cur.description]
        return [parse_json_columns(names, types, r) for r in rows]

    # -- internals -------------------------------------------------------------
    def _con(self) -> duckdb.DuckDBPyConnection:
        if self._cur is None:
            raise RuntimeError("episode is closed")
        return self._cur

    def _bind(self, cp: CompiledProgram, arguments: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for arg, param in cp.arguments:
            value = arguments.get(arg)
            if isinstance(value, dict | list):
                # Arrays and objects travel as JSON text (programs unnest them with
                # from_json): one predictable binding, whatever DuckDB would infer.
                value = canonical_json(value)
            params[param] = value
        params["_now"] = self.env.clock
        if cp.uses_new_id:
            # Deterministic in the episode's write history, so replays get the same ids.
            # A null optional argument binds like an omitted one, so it must not change the id either.
            given = {k: v for k, v in arguments.items() if v is not None}
            params["_new_id"] = content_hash([self._writes_done, cp.program.name, given], length=10)
        return params

    def _run_bounded(
        self, cp: CompiledProgram, params: dict[str, Any], arguments: dict[str, Any]
    ) -> ToolResult:
        """``_run`` under the sandbox time limit (the memory limit sits on the connection)."""
        with sandbox.time_limit(self._con()):
            return self._run(cp, params, arguments)

    def _answer_from_rows(
        self, cp: CompiledProgram, params: dict[str, Any], arguments: dict[str, Any]
    ) -> ToolResult | None:
        """A read answered from this episode's rows in Python; None when DuckDB must decide."""
        flags = self._row_flags(cp, params) if cp.row_checks is not None else []
        if flags is None:
            return None
        refusal = _refusal(cp, flags, arguments)
        if refusal is not None:
            return refusal
        f = cp.row_result
        assert f is not None
        found = row_reads.matching(f, self._rows(f.table), params)
        if found is row_reads.UNDECIDED:
            return None
        rows = [tuple(r[i] for i in f.columns) for r in found]  # type: ignore[union-attr]
        if not rows and cp.program.empty_error:
            return ToolResult(
                ok=False, error=_format(cp.program.empty_error, arguments), error_code="precondition_failed"
            )
        objects = [parse_json_columns(f.names, f.types, r) for r in rows]
        return ToolResult(ok=True, content=_shape(cp.program.result_mode, objects))

    def _row_flags(self, cp: CompiledProgram, params: dict[str, Any]) -> list[bool] | None:
        flags = []
        for f in cp.row_checks or ():
            found = row_reads.exists(f, self._rows(f.table), params)
            if found is row_reads.UNDECIDED:
                return None
            flags.append(bool(found))
        return flags

    def _rows(self, table: str) -> row_reads.TableRows:
        return row_reads.TableRows(
            self.env.base[table], self._overlay.get(table, _NO_ROWS), self.env.base_index[table]
        )

    def _run(self, cp: CompiledProgram, params: dict[str, Any], arguments: dict[str, Any]) -> ToolResult:
        con = self._con()
        if cp.preconditions is not None:
            flags = self._row_flags(cp, params) if cp.row_checks is not None else None
            if flags is None:
                flags = con.execute(cp.preconditions.sql, cp.preconditions.bind(params)).fetchone()
            refusal = _refusal(cp, flags, arguments)
            if refusal is not None:
                return refusal
        pending: list[tuple[str, str, list[tuple]]] = []
        executed: list[tuple[str, dict[str, Any]]] = []
        private = self._fork is not None and bool(cp.writes)
        if private:
            con.execute("BEGIN TRANSACTION")
        for stmt in cp.writes:
            bound = stmt.bind(params)
            rows = [normalize_row(r) for r in con.execute(stmt.sql, bound).fetchall()]
            pending.append((stmt.table, stmt.op, rows))  # type: ignore[arg-type]
            executed.append((stmt.sql, bound))
        content: Any
        if cp.result is not None:
            cur = con.execute(cp.result.sql, cp.result.bind(params))
            names = [d[0] for d in cur.description]
            types = [str(d[1]) for d in cur.description]
            rows = cur.fetchall()
            if not rows and cp.program.empty_error:
                raise _EmptyResult(_format(cp.program.empty_error, arguments))
            content = _shape(cp.program.result_mode, [parse_json_columns(names, types, r) for r in rows])
        else:
            table, _, rows = pending[-1]
            names = list(self.env.columns[table])
            types = [self._column_type(table, n) for n in names]
            content = _shape(cp.program.result_mode, [parse_json_columns(names, types, r) for r in rows])
        if private:
            con.execute("COMMIT")
        for table, op, rows in pending:
            self._apply(table, op, rows)
        if cp.writes:
            self._log.extend(executed)
            self._writes_done += 1
        return ToolResult(ok=True, content=content)

    def _column_type(self, table: str, column: str) -> str:
        try:
            return self.env.schema.table(table).column(column).type
        except KeyError:
            return "VARCHAR"

    def _apply(self, table: str, op: str, rows: list[tuple]) -> None:
        idx = self.env.pk_index[table]
        overlay = self._overlay.setdefault(table, {})
        for row in rows:
            key = tuple(row[i] for i in idx)
            overlay[key] = None if op == "delete" else row

    def _undo(self) -> None:
        """Bring the database back to the state after the last successful call."""
        cur = self._con()
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        if self._fork is not None:
            return  # forked calls run in their own transaction: the rollback undid the call
        # DuckDB has no savepoints: roll the whole transaction back and replay
        # the episode's successful writes (only on this error path).
        cur.execute("BEGIN TRANSACTION")
        try:
            for sql, bound in self._log:
                cur.execute(sql, bound).fetchall()
        except duckdb.Error as exc:
            if not _is_conflict(exc):
                raise
            self._move_to_fork()

    def _move_to_fork(self) -> None:
        """Continue on a private copy of the base state (attached in-memory database) holding this episode's writes."""
        cur = self._con()
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        self._fork = self.env.make_fork(cur)
        cur.execute("BEGIN TRANSACTION")
        for sql, bound in self._log:
            cur.execute(sql, bound).fetchall()
        cur.execute("COMMIT")
        self.forked = True


def _refusal(cp: CompiledProgram, flags, arguments: dict[str, Any]) -> ToolResult | None:
    """The first failed precondition as the call's result, or None when all hold."""
    for flag, (must_exist, error) in zip(flags, cp.checks, strict=True):
        if bool(flag) != must_exist:
            return ToolResult(ok=False, error=_format(error, arguments), error_code="precondition_failed")
    return None


def _invalid(message: str) -> ToolResult:
    return ToolResult(ok=False, error=f"invalid arguments: {message}", error_code="invalid_arguments")


def _is_conflict(exc: BaseException) -> bool:
    text = str(exc)
    return isinstance(exc, duckdb.TransactionException) and ("onflict" in text or "aborted" in text)


def _shape(mode: str, rows: list[dict[str, Any]]) -> Any:
    if mode == "rows":
        return rows
    if not rows:
        return None
    if mode == "row":
        return rows[0]
    first = rows[0]
    return next(iter(first.values())) if first else None


_FIELD = re.compile(r"\{([^{}\s]+)\}")  # any argument spelling: ship-to, prénom


def _format(template: str, arguments: dict[str, Any]) -> str:
    """Fill {argument} placeholders; unknown names stay as written."""
    if "{" not in template:
        return template
    return _FIELD.sub(lambda m: str(arguments.get(m.group(1), m.group(0))), template)


__all__ = ["EnvEpisode"]
