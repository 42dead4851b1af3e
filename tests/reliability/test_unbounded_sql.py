"""Unbounded statements end quickly with a clear error (issue #19 item 1).

Statements DuckDB cannot interrupt (one huge value built in a single call) are refused by
the checker and again by the runtime when the program loads; the rest run under the
sandbox time limit (a watchdog interrupts the connection) and the call fails with a reason,
leaving the episode's state as it was and the episode usable.
"""

from __future__ import annotations

import time

import duckdb
import pytest

from envscale.environments import sandbox
from envscale.environments.programs.checker import ProgramError, check_program
from tests.support.reliability.hostile_sql import UNBOUNDED, hostile_program, load_shop, note_program

TABLES = ("customers", "orders", "notes")


@pytest.fixture
def short_limit():
    before = sandbox.LIMITS
    sandbox.set_limits(sandbox.Limits(timeout_s=0.3, memory_limit=before.memory_limit))
    yield
    sandbox.set_limits(before)


@pytest.mark.parametrize("case", UNBOUNDED, ids=[u.name for u in UNBOUNDED])
def test_unbounded_statements_end_quickly_with_a_reason(case, short_limit):
    program, tool = hostile_program("heavy", case.sql, write=False)
    if case.checker_refuses:
        with pytest.raises(ProgramError, match="not allowed"):
            check_program(program, TABLES, tool.parameters)
    else:
        check_program(program, TABLES, tool.parameters)  # legal SQL: only the time limit stops it
    write, write_tool = note_program()
    env = load_shop((program, write), (tool, write_tool))
    with env.open_episode() as ep:
        assert ep.call(write.name, {"note_id": "n9", "body": "kept"}).ok
        before = ep.state_hash()
        started = time.monotonic()
        result = ep.call("heavy", {})
        elapsed = time.monotonic() - started
        assert not result.ok
        assert elapsed < 3.0, f"{case.name} took {elapsed:.2f} s"
        if case.checker_refuses:
            assert result.error_code == "refused" and "not allowed" in result.error
        else:
            assert result.error_code == "execution_error" and "time limit" in result.error
        assert ep.state_hash() == before  # the earlier write survives, nothing else changed
        assert ep.query("SELECT body FROM notes WHERE note_id = 'n9'") == [{"body": "kept"}]


def test_the_runtime_refuses_session_reading_functions_the_checker_refuses():
    for sql in (
        "SELECT current_setting('memory_limit') AS v",
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM query('SELECT 1')",
        "SELECT * FROM query_table('orders')",
    ):
        program, tool = hostile_program("peek", sql, write=False)
        env = load_shop((program,), (tool,))
        with env.open_episode() as ep:
            result = ep.call("peek", {})
        assert result.error_code == "refused", sql


def test_the_memory_limit_bounds_a_statement():
    before = sandbox.LIMITS
    sandbox.set_limits(sandbox.Limits(timeout_s=30, memory_limit="64MB"))
    try:
        con = sandbox.connect()
    finally:
        sandbox.set_limits(before)
    started = time.monotonic()
    with pytest.raises(duckdb.OutOfMemoryException):
        con.execute(
            "SELECT string_agg(range::VARCHAR || 'padding-padding-padding', ',') FROM range(20000000)"
        ).fetchall()
    assert time.monotonic() - started < 10


def test_a_series_is_refused_when_a_caller_or_a_large_literal_sizes_it():
    from envscale.environments.programs.checker import runtime_refusal

    assert runtime_refusal("SELECT list_sum(range(1, $n)) AS s") is not None
    assert runtime_refusal("SELECT list_sum(generate_series(1, 5000000)) AS s") is not None
    # Bounded by a list the caller already sent (τ-bench retail's item positions): allowed.
    assert runtime_refusal("SELECT range(1, len(from_json($ids, '[\"VARCHAR\"]')) + 1) AS r") is None
