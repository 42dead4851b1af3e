"""Hostile SQL: refused by the program checker before it runs, and again by the runtime's sandbox without it.

Every statement of ``tests.support.reliability.hostile_sql.HOSTILE`` is (1) refused by
``check_program`` with a reason, (2) refused when a program holding it is loaded and
called directly (no checker): the call fails with the reason, no table changes, no
file is read or written, and (3) where DuckDB can refuse it alone, refused by a bare
sandboxed connection. Tool arguments that look like SQL stay data.
"""

from __future__ import annotations

import json
import types

import duckdb
import pytest

from envscale.environments import sandbox
from envscale.environments.programs.checker import ProgramError, check_program
from envscale.environments.runtime.loaded import full_state_hash
from envscale.warehouse import open_warehouse
from tests.support.notes_design import GET_NOTE_PROGRAM, LIST_NOTES_TOOL, NOTES_SCHEMA
from tests.support.reliability.hostile_sql import (
    CATEGORIES,
    HOSTILE,
    INJECTIONS,
    hostile_program,
    load_shop,
    note_program,
    scratch,
)
from tests.support.tool_stubs import tool_stub

TABLES = ("customers", "orders", "notes")
IDS = [f"{h.category}:{h.sql[:40]}" for h in HOSTILE]


@pytest.fixture
def places(tmp_path, home):
    scratch(tmp_path / "scratch")
    open_warehouse(home.warehouse)
    return {"dir": str(tmp_path / "scratch"), "warehouse": str(home.warehouse), "other": "other_orders"}


def _files(places):
    from pathlib import Path

    return sorted(p.name for p in Path(places["dir"]).iterdir())


def test_every_category_is_covered():
    assert {h.category for h in HOSTILE} == set(CATEGORIES)


@pytest.mark.parametrize("hostile", HOSTILE, ids=IDS)
def test_the_checker_refuses_before_execution(hostile, places):
    program, tool = hostile_program("evil", hostile.render(**places), write=hostile.write)
    with pytest.raises(ProgramError) as refused:
        check_program(program, TABLES, tool.parameters)
    assert str(refused.value).strip()


@pytest.mark.parametrize("hostile", HOSTILE, ids=IDS)
def test_the_runtime_refuses_without_the_checker(hostile, places):
    other = load_shop((), (), prefix="other_")  # another environment, loaded in the same process
    other_hash = full_state_hash(other.con, other.schema)
    program, tool = hostile_program("evil", hostile.render(**places), write=hostile.write)
    env = load_shop((program,), (tool,))
    before = full_state_hash(env.con, env.schema)
    files = _files(places)
    with env.open_episode() as episode:
        result = episode.call("evil", {})
        assert not result.ok
        assert result.error_code in ("refused", "execution_error"), result
        assert result.error and "TOPSECRET" not in json.dumps(result.model_dump())
        assert episode.diff() == []
    assert full_state_hash(env.con, env.schema) == before  # every table still there, unchanged
    assert full_state_hash(other.con, other.schema) == other_hash
    assert _files(places) == files  # nothing written next to the secrets
    if not hostile.raw_refused:  # DuckDB would run it: only the runtime's parser wall stops it
        assert result.error_code == "refused" and "refused by the sandbox" in result.error
    env.close()
    other.close()


@pytest.mark.parametrize(
    "hostile",
    [h for h in HOSTILE if h.raw_refused],
    ids=[i for h, i in zip(HOSTILE, IDS, strict=True) if h.raw_refused],
)
def test_a_bare_sandboxed_connection_refuses_too(hostile, places):
    con = sandbox.connect()
    con.execute(
        "CREATE TABLE orders (order_id VARCHAR PRIMARY KEY, customer_id VARCHAR, item VARCHAR, status VARCHAR)"
    )
    con.execute("CREATE TABLE customers (customer_id VARCHAR PRIMARY KEY, name VARCHAR)")
    files = _files(places)
    with pytest.raises(duckdb.Error):
        con.execute(hostile.render(**places)).fetchall()
    assert _files(places) == files
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration')"
        ).fetchall()
    )
    assert settings == {"enable_external_access": "false", "lock_configuration": "true"}
    con.close()


def test_llm_designs_with_hostile_programs_are_dropped_with_reasons(tmp_path, places):
    """An LLM schema designer proposing hostile programs: they never reach an environment; the reason is kept."""
    from envscale.environments.builder import build_environment

    tools = [
        tool_stub(
            "get_note", {"note_id": {"type": "string"}}, ["note_id"], "read", description="Get a note."
        ),
        LIST_NOTES_TOOL,
        *[
            types.SimpleNamespace(
                name=f"evil_{i}",
                description="x",
                kind="write" if h.write else "read",
                parameters={"type": "object", "properties": {}},
            )
            for i, h in enumerate(HOSTILE)
        ],
    ]
    design = {
        "schema": NOTES_SCHEMA,
        "programs": [
            GET_NOTE_PROGRAM,
            {"name": "list_notes", "kind": "read", "result": "SELECT * FROM notes ORDER BY note_id"},
            *[
                {
                    "name": f"evil_{i}",
                    "kind": "write",
                    "writes": [{"sql": h.render(**places), "table": "notes"}],
                }
                if h.write
                else {"name": f"evil_{i}", "kind": "read", "result": h.render(**places)}
                for i, h in enumerate(HOSTILE)
            ],
        ],
    }
    result = build_environment(
        tools,
        name="notes",
        environments_dir=tmp_path / "envs",
        min_working_tools=1,
        schema_designer=lambda messages: json.dumps(design),
    )
    manifest = result.manifest
    assert manifest.db_schema.origin == "llm"
    kept = {p.name for p in manifest.programs}
    assert "list_notes" in kept and kept <= {"get_note", "list_notes"}  # no hostile program survives
    dropped = {d.name: d for d in manifest.dropped}
    for i in range(len(HOSTILE)):
        assert dropped[f"evil_{i}"].stage == "check"
        assert dropped[f"evil_{i}"].reason.startswith("llm_program_invalid")


def test_a_hostile_schema_falls_back_to_the_rules(tmp_path):
    from envscale.environments.builder import build_environment

    tools = [
        tool_stub(
            "get_order", {"order_id": {"type": "string"}}, ["order_id"], "read", description="Get an order."
        ),
        types.SimpleNamespace(
            name="list_orders",
            description="List orders.",
            kind="read",
            parameters={"type": "object", "properties": {}},
        ),
    ]
    evil = {
        "schema": {
            "tables": [
                {
                    "name": "orders; DROP TABLE x",
                    "primary_key": ["id"],
                    "columns": [{"name": "id", "type": "VARCHAR"}],
                }
            ]
        },
        "programs": [],
    }
    result = build_environment(
        tools,
        name="orders",
        environments_dir=tmp_path,
        min_working_tools=1,
        schema_designer=lambda messages: json.dumps(evil),
    )
    assert result.manifest.db_schema.origin == "rules"
    assert "llm fallback" in result.manifest.source["schema_origin"]
    assert "bad table name" in result.manifest.source["schema_origin"]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_arguments_that_look_like_sql_are_stored_verbatim(payload):
    program, tool = note_program()
    env = load_shop((program,), (tool,))
    tables = {
        t.name: env.con.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0] for t in env.schema.tables
    }
    with env.open_episode() as episode:
        written = episode.call("add_note", {"note_id": payload, "body": payload})
        assert written.ok, written
        assert written.content == {"note_id": payload, "body": payload}
        assert episode.query("SELECT body FROM notes WHERE note_id = $k", {"k": payload}) == [
            {"body": payload}
        ]
        for table, n in tables.items():
            extra = 1 if table == "notes" else 0
            assert episode.query(f'SELECT count(*) AS n FROM "{table}"')[0]["n"] == n + extra
        again = episode.call("add_note", {"note_id": payload, "body": "dup"})
        assert not again.ok and again.error_code == "execution_error"  # a key violation, not an injection
    env.close()


def test_injection_into_a_lookup_finds_nothing_and_changes_nothing(tmp_path):
    from envscale.environments.runtime import forget_environments, open_episode
    from envscale.environments.synthesis.sample_env import build_sample_env

    manifest = build_sample_env(tmp_path / "envs")
    with open_episode(manifest, directory=tmp_path / "envs") as episode:
        before = episode.state_hash()
        for payload in INJECTIONS:
            result = episode.call("get_customer", {"customer_id": payload})
            assert not result.ok and result.error_code == "precondition_failed", result
            assert payload in result.error  # echoed as data in the message
        assert episode.state_hash() == before and episode.diff() == []
    forget_environments()
