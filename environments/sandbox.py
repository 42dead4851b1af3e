"""Sandboxed DuckDB connections: the only way environment code opens DuckDB.

Every connection is opened with external access disabled and its
configuration locked, so even a statement that slipped past the program
checker cannot read or write files, ATTACH a file, INSTALL or LOAD an
extension, scan Python variables, or turn any of this back on.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from envscale.errors import ExternalFailure

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


@dataclass(frozen=True)
class Limits:
    """Bounds every tool-call statement runs under (``BuildSettings.statement_timeout_s`` / ``statement_memory_limit``)."""

    timeout_s: float = 2.0  # a statement still running after this is interrupted
    memory_limit: str = "4GB"  # DuckDB buffer-manager cap per database (a query past it fails, OOM)
    seed_timeout_s: float = 60.0  # creating and seeding one environment database (builder._fill)


LIMITS = Limits()


def set_limits(limits: Limits) -> None:
    """Bounds for connections opened (memory) and statements run (time) from now on."""
    global LIMITS
    LIMITS = limits


class StatementTimeout(ExternalFailure):
    """A statement ran past its time limit and was interrupted."""


class _Watchdog:
    """One daemon thread interrupting connections whose deadline passed (a Timer per call costs a thread)."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._heap: list[tuple[float, int, Any]] = []
        self._live: dict[int, Any] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, con: duckdb.DuckDBPyConnection, timeout_s: float) -> int:
        token = next(self._ids)
        with self._cv:
            self._live[token] = con
            heapq.heappush(self._heap, (time.monotonic() + timeout_s, token, con))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="envscale-sql-watchdog", daemon=True)
                self._thread.start()
            if self._heap[0][1] == token:
                self._cv.notify()
        return token

    def disarm(self, token: int) -> bool:
        """False when the deadline already fired (the statement was interrupted)."""
        with self._cv:
            return self._live.pop(token, None) is not None

    def _loop(self) -> None:
        with self._cv:
            while True:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cv.wait()
                    continue
                deadline, token, con = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cv.wait(wait)
                    continue
                heapq.heappop(self._heap)
                del self._live[token]
                # A closed connection has nothing left to stop.
                with contextlib.suppress(Exception):
                    con.interrupt()


_WATCHDOG = _Watchdog()


@contextmanager
def time_limit(con: duckdb.DuckDBPyConnection, timeout_s: float | None = None):
    """Interrupt ``con`` if the enclosed statements run past ``timeout_s``; raises StatementTimeout then."""
    limit = LIMITS.timeout_s if timeout_s is None else timeout_s
    token = _WATCHDOG.arm(con, limit)
    try:
        yield
    except duckdb.InterruptException:
        _WATCHDOG.disarm(token)
        raise StatementTimeout(f"statement interrupted after its {limit:g} s time limit") from None
    # A deadline firing just as the statements finished interrupts nothing: the result stands.
    _WATCHDOG.disarm(token)


def connect(path: Path | str | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A locked-down connection to an environment file, or to a fresh in-memory database.

    The database file itself is the one path the connection may touch.
    """
    config = dict(SANDBOX_CONFIG)
    config["memory_limit"] = LIMITS.memory_limit
    # No max_temp_directory_size = 0: a commit that cannot offload a block is FATAL and
    # invalidates the whole shared database (seen with 256 concurrent forked episodes).
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
