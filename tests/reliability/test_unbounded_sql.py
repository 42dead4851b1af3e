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
from tests.support.notes_design import LIST_NOTES_TOOL
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


# -- trusted queries and LLM-proposed designs (#19.1, the rest) -------------------------------
def test_a_trusted_query_is_bounded_too_and_the_episode_survives(short_limit):
    """Episode.query (samplers, verifiers) runs under the same limit: a clear error, state kept."""
    write, write_tool = note_program()
    env = load_shop((write,), (write_tool,))
    with env.open_episode() as ep:
        assert ep.call(write.name, {"note_id": "n9", "body": "kept"}).ok
        before = ep.state_hash()
        started = time.monotonic()
        with pytest.raises(sandbox.StatementTimeout, match="time limit"):
            ep.query(UNBOUNDED[0].sql)  # the never-ending recursive CTE
        assert time.monotonic() - started < 3.0
        assert ep.state_hash() == before
        assert ep.query("SELECT body FROM notes WHERE note_id = 'n9'") == [{"body": "kept"}]
        assert ep.call(write.name, {"note_id": "n10", "body": "after"}).ok  # still usable


def _notes_tools():
    import types

    return [
        LIST_NOTES_TOOL,
        types.SimpleNamespace(
            name="count_notes",
            description="Count notes.",
            kind="read",
            parameters={"type": "object", "properties": {}},
        ),
    ]


def _build_notes(directory, design: dict):
    """Build the notes tools' environment with ``design`` as the LLM's schema reply."""
    import json

    from envscale.environments.builder import build_environment

    return build_environment(
        _notes_tools(),
        name="notes",
        environments_dir=directory,
        min_working_tools=1,
        schema_designer=lambda messages: json.dumps(design),
    )


def _notes_design(tables: int = 1, columns: int = 2, result: str = "SELECT * FROM notes") -> dict:
    extra = [{"name": f"c{i}", "type": "VARCHAR"} for i in range(columns - 2)]
    table_list = [
        {
            "name": "notes" if t == 0 else f"extra_{t}",
            "primary_key": ["note_id"],
            "columns": [
                {"name": "note_id", "type": "VARCHAR", "nullable": False},
                {"name": "body", "type": "VARCHAR"},
                *extra,
            ],
        }
        for t in range(tables)
    ]
    return {
        "schema": {"tables": table_list},
        "programs": [
            {"name": "list_notes", "kind": "read", "result": result},
            {"name": "count_notes", "kind": "read", "result": "SELECT count(*) AS n FROM notes"},
        ],
    }


@pytest.mark.parametrize(
    ("design", "reason"),
    [
        (_notes_design(tables=33), "33 tables (at most 32)"),
        (_notes_design(columns=65), "65 columns (at most 64)"),
    ],
    ids=["tables", "columns"],
)
def test_an_llm_schema_over_its_caps_falls_back_with_the_reason(tmp_path, design, reason):
    result = _build_notes(tmp_path, design)
    note = result.manifest.source["schema_origin"]
    assert result.manifest.db_schema.origin == "rules"
    assert "over its caps" in note and reason in note


def test_an_llm_program_with_an_overlong_statement_is_dropped_with_the_reason(tmp_path):
    padding = " OR ".join(["body = 'x'"] * 600)  # legal SQL, ~7,000 characters
    design = _notes_design(result=f"SELECT * FROM notes WHERE {padding}")
    result = _build_notes(tmp_path, design)
    assert result.manifest.db_schema.origin == "llm"
    dropped = {d.name: d for d in result.manifest.dropped}
    assert dropped["list_notes"].stage == "check"
    assert "over its caps" in dropped["list_notes"].reason and "at most 4000" in dropped["list_notes"].reason
    assert [p.name for p in result.manifest.programs] == ["count_notes"]


def test_seeding_a_proposed_schema_is_bounded():
    """Creating and seeding the tables runs under the seed time limit (builder._fill)."""
    from envscale.environments.builder import _memory_db
    from envscale.environments.schema.llm import MAX_TABLES
    from envscale.environments.schema.model import SchemaModel

    schema = SchemaModel.model_validate({**_notes_design(tables=MAX_TABLES)["schema"], "origin": "llm"})
    rows = {t.name: [{"note_id": f"n{i}", "body": "x" * 50} for i in range(2000)] for t in schema.tables}
    before = sandbox.LIMITS
    sandbox.set_limits(sandbox.Limits(timeout_s=before.timeout_s, seed_timeout_s=0.001))
    try:
        started = time.monotonic()
        with pytest.raises(sandbox.StatementTimeout, match="time limit"):
            _memory_db(schema, rows)
        assert time.monotonic() - started < 5.0
    finally:
        sandbox.set_limits(before)
    _memory_db(schema, rows).close()  # under the default limit the same schema seeds fine
