"""Sandboxed DuckDB connections: the only way environment code opens DuckDB.

Every connection is opened with external access disabled and its
configuration locked, so even a statement that slipped past the program
checker cannot read or write files, ATTACH a file, INSTALL or LOAD an
extension, scan Python variables, or turn any of this back on.
"""

from __future__ import annotations

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
