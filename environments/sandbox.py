"""Sandboxed DuckDB connections: the only way environment code opens DuckDB.

Every connection is opened with external access disabled and its
configuration locked, so even a statement that slipped past the program
checker cannot read or write files, ATTACH a file, INSTALL or LOAD an
extension, scan Python variables, or turn any of this back on.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import duckdb

# Applied at connect time, so no statement ever runs on an unlocked connection.
SANDBOX_CONFIG: dict[str, Any] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "python_enable_replacements": False,
    # Environment queries touch a few thousand rows: one thread avoids
    # oversubscribing the 2-core machines when many episodes run at once.
    "threads": 1,
    "lock_configuration": True,
}


def connect(path: Path | str | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A locked-down connection to an environment file, or to a fresh in-memory database.

    The database file itself is the one path the connection may touch.
    """
    config = dict(SANDBOX_CONFIG)
    if path is None:
        return duckdb.connect(":memory:", config=config)
    # Environments are small: 16 KiB blocks make a new file ~0.1 MB instead of ~1.3 MB
    # (existing files keep the block size they were written with).
    config["default_block_size"] = 16384
    return duckdb.connect(str(path), read_only=read_only, config=config)


def load_arrow(con: duckdb.DuckDBPyConnection, table: str, data: Any) -> None:
    """Insert an Arrow table into ``table`` (trusted code only: programs cannot scan Python objects)."""
    name = f"_envscale_load_{table}"
    con.register(name, data)
    try:
        con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM "{name}"')
    finally:
        con.unregister(name)


_READ_TYPES = frozenset({"SELECT"})
_WRITE_TYPES = frozenset({"INSERT", "UPDATE", "DELETE"})
_PARSER: duckdb.DuckDBPyConnection | None = None
_PARSER_LOCK = threading.Lock()


def statement_refusal(sql: str, *, write: bool) -> str | None:
    """Why the runtime must not execute ``sql`` as a program statement, or None.

    DuckDB runs every statement of a multi-statement string (``SELECT 1; DROP TABLE t``
    executes both), and a locked configuration does not stop DDL, DETACH or PRAGMA.
    So, independently of the program checker, each statement is split with DuckDB's
    own parser and must be exactly one SELECT (reads) or INSERT/UPDATE/DELETE (writes).
    """
    global _PARSER
    with _PARSER_LOCK:
        if _PARSER is None:
            _PARSER = duckdb.connect(":memory:", config=dict(SANDBOX_CONFIG))
        try:
            statements = _PARSER.extract_statements(sql)
        except duckdb.Error as exc:
            return f"does not parse: {str(exc).splitlines()[0]}"
    if len(statements) != 1:
        return f"exactly one statement per program statement, got {len(statements)}"
    kind = statements[0].type.name
    allowed = _WRITE_TYPES if write else _READ_TYPES
    if kind not in allowed:
        return f"{kind} statements are not allowed here (only {'/'.join(sorted(allowed))})"
    return None
