"""Warehouse integrity: the checks a crash, a kill or two writers at once must never break.

``check_warehouse`` lists problems (an empty list = healthy): unreadable tables,
primary-key and unique-key duplicates, rows whose parents are missing (a trajectory without its task or blueprint, ...), duplicate
synthesis keys, environment statuses outside accepted | rejected | superseded (or an
imported environment superseded), and runs left 'running' by a process that is gone.

A run row records its owner (host, pid, process start time); ``reap_dead_runs``
marks the runs of dead owners 'interrupted', and every flow calls it on start, so
a rerun after a kill leaves no phantom 'running' run behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envscale.warehouse import TABLES, dead_runs, utc_now

if TYPE_CHECKING:
    import duckdb

    from envscale.warehouse import Warehouse

# (child table, child column, parent table, parent column): every non-null child value must exist.
REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    ("blueprints", "env_id", "environments", "env_id"),
    ("tasks", "blueprint_id", "blueprints", "blueprint_id"),
    ("tasks", "env_id", "environments", "env_id"),
    ("trajectories", "task_id", "tasks", "task_id"),
    ("trajectories", "blueprint_id", "blueprints", "blueprint_id"),
    ("trajectories", "env_id", "environments", "env_id"),
    ("validations", "trajectory_id", "trajectories", "trajectory_id"),
    ("environments", "domain_id", "domains", "domain_id"),
)
# environments.status: a build writes accepted | rejected and marks the accepted generated
# environments it no longer yields 'superseded' (kept, not synthesized on or evaluated).
ENVIRONMENT_STATUSES = ("accepted", "rejected", "superseded")
# Rows of these stage-output tables name the run that wrote them (the
# warehouse's tables less its bookkeeping ones).
RUN_TABLES = tuple(t for t in TABLES if t not in ("contract_results", "runs"))


def reap_dead_runs(wh: Warehouse) -> list[str]:
    """Mark runs left 'running' by dead processes as 'interrupted'; returns their run ids."""
    with wh.transaction() as con:
        dead = dead_runs(con)
        for run_id, _, owner in dead:
            con.execute(
                "UPDATE runs SET status = 'interrupted', finished_at = ?, error = ? WHERE run_id = ?",
                [
                    utc_now(),
                    f"process {owner['pid']} on {owner['host']} died before the run finished",
                    run_id,
                ],
            )
    return [run_id for run_id, *_ in dead]


# -- checks ------------------------------------------------------------------------
def check_warehouse(wh: Warehouse, *, read_only: bool = True) -> list[str]:
    """Every integrity problem of the warehouse, as readable lines; [] when healthy."""
    problems: list[str] = []
    pending = wh.pending_migrations()
    if pending:
        problems.append(f"migrations not applied: {', '.join(pending)}")
    with wh.connect(read_only=read_only) as con:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
            ).fetchall()
        }
        for table in sorted(tables):
            try:
                con.execute(f'SELECT count(*), sum(hash(t)) FROM "{table}" t').fetchall()
            except Exception as exc:  # noqa: BLE001 - a corrupt block surfaces as any DuckDB error
                problems.append(f"{table}: unreadable ({type(exc).__name__}: {str(exc).splitlines()[0]})")
        problems += _key_duplicates(con, tables)
        for child, column, parent, key in REFERENCES:
            if child in tables and parent in tables:
                n, example = _orphans(con, child, column, parent, key)
                if n:
                    problems.append(
                        f"{child}: {n} row(s) whose {column} is missing from {parent} (e.g. {example!r})"
                    )
        for table in RUN_TABLES:
            if table in tables and "runs" in tables:
                n, example = _orphans(con, table, "run_id", "runs", "run_id")
                if n:
                    problems.append(f"{table}: {n} row(s) written by an unknown run (e.g. {example!r})")
        if "environments" in tables:
            problems += _environment_statuses(con)
        if "trajectories" in tables:
            n, example = con.execute(
                "SELECT count(*), any_value(k) FROM (SELECT env_id || '/' || blueprint_id || '/' || attempt || '/' || mode"
                " AS k FROM trajectories GROUP BY ALL HAVING count(*) > 1)"
            ).fetchone()
            if n:
                problems.append(
                    f"trajectories: {n} (env, blueprint, attempt, mode) key(s) played twice (e.g. {example})"
                )
        if "runs" in tables:
            has_owner = con.execute(
                "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'runs' AND column_name = 'owner'"
            ).fetchone()[0]
            if has_owner:
                for run_id, flow, owner in dead_runs(con):
                    problems.append(
                        f"runs: {run_id} ({flow}) is 'running' but its process {owner['pid']} on {owner['host']} is gone"
                    )
    return problems


def _environment_statuses(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Unknown status values, and imported environments marked superseded (only generated ones may be)."""
    out = []
    known = ", ".join(f"'{s}'" for s in ENVIRONMENT_STATUSES)
    n, example = con.execute(
        f"SELECT count(*), any_value(status) FROM environments WHERE status NOT IN ({known})"
    ).fetchone()
    if n:
        out.append(f"environments: {n} row(s) with an unknown status (e.g. {example!r})")
    n, example = con.execute(
        "SELECT count(*), any_value(env_id) FROM environments"
        " WHERE status = 'superseded' AND origin <> 'generated'"
    ).fetchone()
    if n:
        out.append(f"environments: {n} imported environment(s) marked superseded (e.g. {example!r})")
    return out


def _orphans(
    con: duckdb.DuckDBPyConnection, child: str, column: str, parent: str, key: str
) -> tuple[int, Any]:
    """How many ``child`` rows name a ``column`` value that no ``parent`` row has as ``key``, and one of them."""
    return con.execute(
        f'SELECT count(*), any_value(c."{column}") FROM "{child}" c WHERE c."{column}" IS NOT NULL'
        f' AND NOT EXISTS (SELECT 1 FROM "{parent}" p WHERE p."{key}" = c."{column}")'
    ).fetchone()


def _key_duplicates(con: duckdb.DuckDBPyConnection, tables: set[str]) -> list[str]:
    out = []
    rows = con.execute(
        "SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints()"
        " WHERE schema_name = 'main' AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
    ).fetchall()
    for table, kind, columns in rows:
        if table not in tables or not columns:
            continue
        cols = ", ".join(f'"{c}"' for c in columns)
        n, example = con.execute(
            f'SELECT count(*), any_value(k) FROM (SELECT ({cols})::VARCHAR AS k FROM "{table}"'
            f" GROUP BY {cols} HAVING count(*) > 1)"
        ).fetchone()
        if n:
            out.append(
                f"{table}: {n} duplicate {kind.lower()} value(s) on ({', '.join(columns)}) (e.g. {example})"
            )
    return out
