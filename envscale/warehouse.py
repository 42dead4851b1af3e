"""The DuckDB warehouse: every stage's outputs, with lineage, behind short-lived connections.

DuckDB lets one process hold a file for writing. envscale therefore opens the
warehouse per unit of work and closes it right after, so a second process (a
read-only ``envscale status``, another flow) gets in between. A writer that
finds the file locked retries for ``lock_timeout_s`` and then fails with a
message naming the holder, never corrupting anything.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from envscale.errors import ExternalFailure
from envscale.owners import current_owner, owner_alive

TABLES = (
    "tools",
    "rejected_tools",
    "domains",
    "environments",
    "blueprints",
    "tasks",
    "trajectories",
    "validations",
    "datasets",
    "contract_results",
    "runs",
)
# What `envscale status` counts: the stage tables and the evaluation/promotion records.
COUNTED_TABLES = (*TABLES, "evaluations", "promotions")

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class WarehouseError(ExternalFailure):
    """Base error of the warehouse."""


class WarehouseBusy(WarehouseError):
    """Another process holds the warehouse for writing."""


class MigrationError(WarehouseError):
    """An applied migration was edited, or the file is newer than this code."""


class Warehouse:
    """Access to one warehouse file."""

    def __init__(self, path: Path | str, *, lock_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s

    # -- connections -------------------------------------------------------
    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection, retried while another process holds the file."""
        if read_only and not self.path.exists():
            raise WarehouseError(f"no warehouse at {self.path}; run a flow (or `envscale status`) first")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.05
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise _unusable(self.path, exc) from None
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"warehouse {self.path} is held by another process for {self.lock_timeout_s:.0f}s; "
                        f"wait for it to finish or use another ENVSCALE_HOME ({_lock_holder(exc)})"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            except duckdb.Error as exc:  # a damaged file can fail in other ways than IO
                raise _unusable(self.path, exc) from None
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection inside BEGIN/COMMIT; any exception rolls back."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    # -- schema ------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply pending migrations in order; returns the names applied."""
        applied: list[str] = []
        with self.connect() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL,"
                " applied_at TIMESTAMP NOT NULL)"
            )
            done = {
                v: c for v, c in con.execute("SELECT version, checksum FROM schema_migrations").fetchall()
            }
            known = _migrations()
            newest = max((v for v, *_ in known), default=0)
            if done and max(done) > newest:
                raise MigrationError(
                    f"warehouse {self.path} is at migration {max(done)}, newer than this envscale ({newest})"
                )
            for version, name, sql in known:
                checksum = hashlib.sha256(sql.encode()).hexdigest()[:16]
                if version in done:
                    if done[version] != checksum:
                        raise MigrationError(f"migration {version:04d}_{name} changed after it was applied")
                    continue
                con.execute("BEGIN TRANSACTION")
                try:
                    con.execute(sql)
                    con.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
                        [version, name, checksum, utc_now()],
                    )
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
                applied.append(f"{version:04d}_{name}")
        return applied

    def pending_migrations(self) -> list[str]:
        """Migrations this code has that the file lacks (read-only check)."""
        with self.connect(read_only=True) as con:
            has_table = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
            ).fetchone()[0]
            done = (
                {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
                if has_table
                else set()
            )
        return [f"{v:04d}_{n}" for v, n, _ in _migrations() if v not in done]

    # -- writes ------------------------------------------------------------
    def insert(
        self,
        table: str,
        rows: Sequence[dict[str, Any]],
        *,
        on_conflict: str = "ignore",
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> int:
        """Insert rows in one statement. ``on_conflict``: 'ignore', 'replace' or 'error'.

        dict/list values are stored as JSON text. Returns the number of rows offered.
        """
        if not rows:
            return 0
        _check_table(table)
        columns = list(rows[0])
        for row in rows:
            if list(row) != columns:
                raise ValueError(f"rows for {table} must share one column order: {columns} vs {list(row)}")
        # One Arrow batch per call: executemany costs ~2.5 ms a row in DuckDB.
        import pyarrow as pa

        batch = pa.Table.from_pydict({c: [_to_db(row[c]) for row in rows] for c in columns})
        verb = {
            "ignore": "INSERT OR IGNORE INTO",
            "replace": "INSERT OR REPLACE INTO",
            "error": "INSERT INTO",
        }[on_conflict]
        names = ", ".join(columns)
        sql = f"{verb} {table} ({names}) SELECT {names} FROM _envscale_batch"

        def run(target: duckdb.DuckDBPyConnection) -> None:
            target.register("_envscale_batch", batch)
            try:
                target.execute(sql)
            finally:
                target.unregister("_envscale_batch")

        if con is not None:
            run(con)
        else:
            with self.transaction() as tx:
                run(tx)
        return len(rows)

    # -- runs --------------------------------------------------------------
    def start_run(self, flow: str, params: dict[str, Any], *, input_hash: str | None = None) -> str:
        run_id = f"{flow}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        self.insert(
            "runs",
            [
                {
                    "run_id": run_id,
                    "flow": flow,
                    "status": "running",
                    "started_at": utc_now(),
                    "params": params,
                    "input_hash": input_hash,
                    "owner": _owner(),
                }
            ],
            on_conflict="error",
        )
        return run_id

    def finish_run(
        self, run_id: str, status: str, summary: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        with self.transaction() as con:
            con.execute(
                "UPDATE runs SET status = ?, finished_at = ?, summary = ?, error = ? WHERE run_id = ?",
                [status, utc_now(), json.dumps(summary or {}, default=str), error, run_id],
            )

    def last_completed_run(self, flow: str, input_hash: str) -> dict[str, Any] | None:
        """The newest completed run of ``flow``, when it ran over the same inputs (for skip-if-unchanged).

        Only the newest counts: a later run over other inputs may have changed what
        the stage produced (e.g. moved an alias), so an older identical run is no reason to skip.
        """
        newest = self.newest_completed_run(flow)
        if newest is None or newest["input_hash"] != input_hash:
            return None
        return {"run_id": newest["run_id"], "summary": newest["summary"]}

    def newest_completed_run(self, flow: str) -> dict[str, Any] | None:
        """run_id, summary (parsed) and input_hash of the newest completed run of ``flow``; None if none."""
        with self.connect() as con:
            row = con.execute(
                "SELECT run_id, summary, input_hash FROM runs WHERE flow = ? AND status = 'completed'"
                " ORDER BY started_at DESC LIMIT 1",
                [flow],
            ).fetchone()
        return (
            None
            if row is None
            else {"run_id": row[0], "summary": json.loads(row[1] or "{}"), "input_hash": row[2]}
        )

    # -- reads -------------------------------------------------------------
    def counts(self, *, read_only: bool = True) -> dict[str, int]:
        with self.connect(read_only=read_only) as con:
            return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED_TABLES}

    def environment_statuses(self, *, read_only: bool = True) -> dict[str, int]:
        """Environments per status (accepted, rejected, superseded by a later build)."""
        with self.connect(read_only=read_only) as con:
            rows = con.execute("SELECT status, count(*) FROM environments GROUP BY 1 ORDER BY 1").fetchall()
        return dict(rows)

    def recent_runs(self, limit: int = 10, *, read_only: bool = True) -> list[dict[str, Any]]:
        with self.connect(read_only=read_only) as con:
            cur = con.execute(
                "SELECT run_id, flow, status, started_at, finished_at, error FROM runs"
                " ORDER BY started_at DESC LIMIT ?",
                [limit],
            )
            runs = dict_rows(cur)
            # A killed run reads 'interrupted' at once, not only after the next flow reaps it.
            dead = {run_id: owner for run_id, _, owner in dead_runs(con)}
        for run in runs:
            if run["run_id"] in dead:
                owner = dead[run["run_id"]]
                run["status"] = "interrupted"
                run["error"] = run["error"] or f"process {owner['pid']} on {owner['host']} is gone"
        return runs

    def rows(
        self, sql: str, params: list[Any] | None = None, *, read_only: bool = True
    ) -> list[dict[str, Any]]:
        """The result of one read as dicts (column name → value)."""
        with self.connect(read_only=read_only) as con:
            return dict_rows(con.execute(sql, params or []))

    def schema_version(self, *, read_only: bool = True) -> int:
        with self.connect(read_only=read_only) as con:
            return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def dict_rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The rest of an executed query's result as dicts (column name → value)."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _unusable(path: Path, exc: Exception) -> WarehouseError:
    """A warehouse file DuckDB cannot open (damaged, not a database, a folder in its place)."""
    what = "a folder is in its place" if path.is_dir() else str(exc).removeprefix("IO Error: ")
    return WarehouseError(
        f"cannot open the warehouse {path}: {what}. Move it aside (a new, empty warehouse is created "
        "on the next run) or restore a backup, or use another --home/ENVSCALE_HOME"
    )


def open_warehouse(path: Path | str, **kwargs: Any) -> Warehouse:
    """A migrated warehouse (creates the file on first use)."""
    wh = Warehouse(path, **kwargs)
    wh.migrate()
    return wh


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("envscale.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text()))
    found.sort()
    versions = [v for v, *_ in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a version: {versions}")
    return found


def _check_table(table: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
        raise ValueError(f"not a table name: {table!r}")


def _to_db(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _owner() -> dict[str, Any]:
    # Recorded so a run left 'running' by a killed process is recognized (envscale.owners).
    return current_owner()


def dead_runs(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, dict[str, Any]]]:
    """``(run_id, flow, owner)`` of runs marked 'running' whose owner process is gone."""
    rows = con.execute("SELECT run_id, flow, owner FROM runs WHERE status = 'running'").fetchall()
    out = []
    for run_id, flow, owner in rows:
        parsed = json.loads(owner) if owner else None
        if owner_alive(parsed) is False:
            out.append((run_id, flow, parsed))
    return out


def _lock_holder(exc: Exception) -> str:
    match = re.search(r"Conflicting lock is held in (.*?)(?:\.|$)", str(exc))
    return f"held by {match.group(1)}" if match else str(exc).splitlines()[0]


def utc_now() -> datetime:
    """Now in UTC, naive (the warehouse's TIMESTAMP columns hold UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)
