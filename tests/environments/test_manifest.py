"""The environment manifest: lookups, paths, an atomic JSON round trip, content ids and the policy text."""

from __future__ import annotations

import pytest

from envscale.environments.manifest import EnvironmentManifest, environment_id, policy_text
from envscale.environments.programs.model import BusinessRule, ToolProgram
from envscale.environments.runtime.contracts import EnvTool
from envscale.environments.schema.model import Column, SchemaModel, Table

SCHEMA = SchemaModel(
    tables=(
        Table(name="orders", columns=(Column(name="order_id", type="VARCHAR"),), primary_key=("order_id",)),
    )
)
TOOL = EnvTool(
    name="list_orders",
    description="List orders.",
    parameters={"type": "object", "properties": {}},
    kind="read",
)
PROGRAM = ToolProgram(name="list_orders", kind="read", result="SELECT * FROM orders", origin="hand")


def _manifest(**over) -> EnvironmentManifest:
    fields = {
        "env_id": "e1",
        "name": "shop",
        "origin": "generated",
        "tools": (TOOL,),
        "programs": (PROGRAM,),
        "db_schema": SCHEMA,
    }
    return EnvironmentManifest(**{**fields, **over})


def test_lookups_and_paths(tmp_path):
    manifest = _manifest()
    assert manifest.tool("list_orders") is TOOL and manifest.program("list_orders") is PROGRAM
    with pytest.raises(KeyError):
        manifest.tool("nope")
    assert manifest.openai_tools() == [TOOL.openai_schema()]
    assert manifest.db_path(tmp_path) == tmp_path / "e1.duckdb"
    assert manifest.system_prompt("Be helpful.") == "Be helpful."
    assert _manifest(policy="# Rules").system_prompt("Be helpful.") == "Be helpful.\n\n# Rules"


def test_write_then_read_round_trips_without_leftovers(tmp_path):
    manifest = _manifest(table_counts={"orders": 3})
    path = manifest.write(tmp_path / "envs")
    assert path == tmp_path / "envs" / "e1.json"
    assert EnvironmentManifest.read(path) == manifest
    assert [p.name for p in path.parent.iterdir()] == ["e1.json"]  # no .tmp left behind


def test_environment_id_follows_what_determines_behaviour():
    base = environment_id(SCHEMA, [PROGRAM], [TOOL], 7, 10)
    assert base == environment_id(SCHEMA, (PROGRAM,), [TOOL.model_dump(mode="json")], 7, 10)
    assert base != environment_id(SCHEMA, [PROGRAM], [TOOL], 8, 10)
    assert base != environment_id(SCHEMA, [PROGRAM], [TOOL], 7, 11)
    other = PROGRAM.model_copy(update={"result": "SELECT order_id FROM orders"})
    assert base != environment_id(SCHEMA, [other], [TOOL], 7, 10)


def test_policy_text_lists_each_rule_once():
    rule = BusinessRule(
        tool="cancel_order", kind="state", description="Only pending orders can be cancelled."
    )
    text = policy_text("online_shop", [rule, rule])
    assert text.startswith("# online shop policy\n")
    assert text.count("- Only pending orders can be cancelled. (`cancel_order`)") == 1
    assert "## Rules" not in policy_text("", [])
    assert policy_text("", []).startswith("# this service policy")
