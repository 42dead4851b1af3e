"""Builder: self-test, drop reasons, LLM design + repair, acceptance, content-addressed artifacts."""

from __future__ import annotations

import json
from types import SimpleNamespace

from envscale.environments.builder import build_environment
from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.runtime import open_episode
from tests.support.notes_design import GET_NOTE_PROGRAM, NOTES_SCHEMA
from tests.support.tool_stubs import tool_stub


def test_built_environment_is_content_addressed_and_reused(shop, tmp_path, make_shop_tools):
    shop_tools = make_shop_tools
    m = shop.manifest
    assert (shop.directory / f"{m.env_id}.duckdb").is_file()
    assert EnvironmentManifest.read(shop.directory / f"{m.env_id}.json") == m
    assert m.selftest.accepted and m.selftest.n_working == len(m.tools) == 7
    assert all(t.ok for t in m.selftest.tools)
    assert {t.name: t.kind for t in m.tools}["cancel_order"] == "write"
    assert {t.name: t.writes for t in m.tools}["get_order"] == ()
    assert m.table_counts == {"customers": 30, "orders": 30}
    assert ("get_order", "cancel_order") in {(e.source, e.target) for e in m.edges}
    again = build_environment(
        shop_tools(), name="shop", environments_dir=shop.directory, seed=7, rows_per_table=30
    )
    assert again.manifest.env_id == m.env_id and again.reused
    other = build_environment(shop_tools(), name="shop", environments_dir=tmp_path, seed=8, rows_per_table=30)
    assert other.manifest.env_id != m.env_id


def test_bad_tools_are_dropped_with_reasons_and_small_domains_rejected(tmp_path, make_shop_tools):
    shop_tools = make_shop_tools
    bad_schema = SimpleNamespace(
        name="weird",
        description="",
        kind="read",
        parameters={"type": "object", "properties": {"x": {"type": 5}}},
    )
    vague = SimpleNamespace(
        name="update_everything",
        description="",
        kind="write",
        parameters={"type": "object", "properties": {}},
    )
    result = build_environment(
        [bad_schema, vague, shop_tools()[0]], name="tiny", environments_dir=tmp_path, min_working_tools=2
    )
    dropped = {d.name: (d.stage, d.reason) for d in result.manifest.dropped}
    assert dropped["weird"][0] == "schema" and dropped["update_everything"][0] == "compile"
    assert not result.accepted and result.db_path is None
    assert result.manifest.selftest.reason.startswith("too_few_working_tools")
    assert not list(tmp_path.iterdir())


def _llm(replies):
    replies = list(replies)

    def complete(messages):
        return replies.pop(0)

    return complete


DESIGN = {
    "schema": NOTES_SCHEMA,
    "programs": [
        {
            **GET_NOTE_PROGRAM,
            "table": "notes",
            "action": "read",
            "bindings": [{"param": "note_id", "role": "key", "table": "notes", "column": "note_id"}],
        },
        # Fails at run time (a text key cast to an integer): self-test catches it.
        {
            "name": "edit_note",
            "kind": "write",
            "table": "notes",
            "action": "update",
            "writes": [
                {
                    "sql": "UPDATE notes SET body = $body WHERE note_id = CAST($note_id AS INTEGER)",
                    "table": "notes",
                }
            ],
            "bindings": [
                {"param": "note_id", "role": "key", "table": "notes", "column": "note_id"},
                {"param": "body", "role": "column", "table": "notes", "column": "body"},
            ],
        },
    ],
}
NOTE_TOOLS = [
    SimpleNamespace(
        name="get_note",
        description="",
        kind="read",
        parameters={"type": "object", "properties": {"note_id": {"type": "string"}}, "required": ["note_id"]},
    ),
    SimpleNamespace(
        name="edit_note",
        description="",
        kind="write",
        parameters={
            "type": "object",
            "properties": {"note_id": {"type": "string"}, "body": {"type": "string"}},
            "required": ["note_id", "body"],
        },
    ),
]


def test_llm_design_selftest_failure_then_repair(tmp_path):
    no_repair = build_environment(
        NOTE_TOOLS,
        name="notes",
        environments_dir=tmp_path,
        min_working_tools=1,
        schema_designer=_llm([json.dumps(DESIGN)]),
    )
    assert no_repair.manifest.db_schema.origin == "llm"
    failed = {t.name: t for t in no_repair.manifest.selftest.tools}["edit_note"]
    assert not failed.ok and failed.reason.startswith("execution_error")
    fixed = dict(
        DESIGN["programs"][1],
        writes=[{"sql": "UPDATE notes SET body = $body WHERE note_id = $note_id", "table": "notes"}],
    )
    repaired = build_environment(
        NOTE_TOOLS,
        name="notes",
        environments_dir=tmp_path / "r",
        min_working_tools=2,
        schema_designer=_llm([json.dumps(DESIGN)]),
        repairer=_llm([json.dumps(fixed)]),
    )
    test = {t.name: t for t in repaired.manifest.selftest.tools}["edit_note"]
    assert test.ok and test.repaired and repaired.accepted
    with open_episode(repaired.manifest, directory=tmp_path / "r") as ep:
        note = ep.query("SELECT note_id FROM notes LIMIT 1")[0]["note_id"]
        assert ep.call("edit_note", {"note_id": note, "body": "hello"}).content == [
            {"note_id": note, "body": "hello"}
        ]


def test_broken_llm_design_falls_back_to_rules(tmp_path, make_shop_tools):
    shop_tools = make_shop_tools
    result = build_environment(
        shop_tools(), name="shop", environments_dir=tmp_path, schema_designer=_llm(["not json"])
    )
    assert result.accepted and result.manifest.db_schema.origin == "rules"
    assert result.manifest.source["schema_origin"].startswith("rules (llm fallback")


def test_awkward_argument_names_survive_build_and_keep_their_values(tmp_path):
    """'prénom' used to drop create_order at the check; 'ship-to' + 'ship_to' shared one $name."""

    def tool(name, kind, props, required):
        return tool_stub(name, props, required, kind)

    s = {"type": "string"}
    tools = [
        tool("get_order", "read", {"order_id": s}, ["order_id"]),
        tool("create_order", "write", {"customer_id": s, "prénom": s}, ["customer_id", "prénom"]),
        tool(
            "update_order",
            "write",
            {"order_id": s, "ship-to": s, "ship_to": s},
            ["order_id", "ship-to", "ship_to"],
        ),
        tool("get_customer", "read", {"customer_id": s}, ["customer_id"]),
    ]
    result = build_environment(tools, name="awkward", environments_dir=tmp_path)
    assert result.manifest.dropped == ()
    with open_episode(result.manifest, directory=tmp_path) as ep:
        order = ep.query('SELECT order_id FROM "orders" LIMIT 1')[0]["order_id"]
        updated = ep.call("update_order", {"order_id": order, "ship-to": "dock A", "ship_to": "dock B"})
        assert updated.ok, updated.error
        assert {updated.content["ship_to"], updated.content["ship_to_2"]} == {"dock A", "dock B"}
        customer = ep.query('SELECT customer_id FROM "customers" LIMIT 1')[0]["customer_id"]
        created = ep.call("create_order", {"customer_id": customer, "prénom": "Zoé"})
        assert created.ok and "Zoé" in created.content.values()
