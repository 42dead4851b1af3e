"""builder.py's pieces on their own: dependency edges between programs, and the atomic initial database.

Whole builds (self-test, drop reasons, LLM design and repair) are tested in tests/environments/runtime/test_builder.py.
"""

from __future__ import annotations

import duckdb

from envscale.environments.builder import dependency_edges, write_database
from envscale.environments.manifest import DependencyEdge
from envscale.environments.programs.model import ParamBinding, ToolProgram
from tests.support import shop_env


def _program(name, action, table, *bindings):
    return ToolProgram(
        name=name,
        kind="read" if action == "read" else "write",
        action=action,
        table=table,
        result="SELECT 1",
        bindings=tuple(ParamBinding(param=p, role=r, table=t) for p, r, t in bindings),
    )


PROGRAMS = [
    _program("list_customers", "read", "customers"),
    _program("create_customer", "create", "customers", ("customer_id", "key", "customers")),
    _program("delete_customer", "delete", "customers", ("customer_id", "key", "customers")),
    _program("get_order", "read", "orders", ("order_id", "key", "orders")),
    _program(
        "create_order", "create", "orders", ("customer_id", "ref", "customers"), ("order_id", "key", "orders")
    ),
]


def test_edges_link_a_tables_rows_to_the_keys_others_consume():
    edges = {(e.source, e.target): e.via for e in dependency_edges(PROGRAMS, shop_env.SCHEMA)}
    assert edges[("list_customers", "create_order")] == "customer_id"  # a ref into customers
    assert edges[("list_customers", "delete_customer")] == "customer_id"
    assert edges[("create_order", "get_order")] == "order_id"
    assert ("list_customers", "create_customer") not in edges  # a create's own key is new, not looked up
    assert not any(src == "delete_customer" for src, _ in edges)  # a delete provides no rows


def test_given_edges_are_kept_among_working_tools_only():
    edges = dependency_edges(
        PROGRAMS,
        shop_env.SCHEMA,
        given=[("get_order", "list_customers"), ("gone", "get_order"), ("get_order", "get_order")],
    )
    assert DependencyEdge(source="get_order", target="list_customers", via=None) in edges
    assert all("gone" not in (e.source, e.target) and e.source != e.target for e in edges)
    assert edges == sorted(edges, key=lambda e: (e.source, e.target))


def test_write_database_creates_the_tables_with_their_rows_atomically(tmp_path):
    path = tmp_path / "envs" / "e1.duckdb"
    (path.parent).mkdir()
    (path.parent / "e1.duckdb.tmp").write_bytes(b"a leftover from a killed build")
    rows = {
        "customers": [{"customer_id": "c1", "name": "Ada", "tier": "gold"}],
        "orders": [{"order_id": "o1", "customer_id": "c1", "status": "pending", "quantity": 2}],
    }
    write_database(path, shop_env.SCHEMA, rows)
    assert sorted(p.name for p in path.parent.iterdir()) == ["e1.duckdb"]
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT * FROM orders").fetchall() == [("o1", "c1", "pending", 2)]
        assert con.execute("SELECT count(*) FROM audit_log").fetchone() == (0,)  # created, left empty
    finally:
        con.close()


def test_credential_parameters_leave_the_environments_tools(tmp_path):
    """A public API's api_key is the environment's business: not in the schema the agent sees, not a
    value a task states, and the tool still works without one."""
    from envscale.environments.builder import build_environment
    from envscale.environments.runtime import open_episode
    from tests.support.tool_stubs import tool_stub

    weather = tool_stub(
        "get_weather_for_OpenWeather",
        {"city": {"type": "string"}, "api_key": {"type": "string"}, "X-RapidAPI-Key": {"type": "string"}},
        ["city", "api_key"],
    )
    forecast = tool_stub("get_forecast", {"city": {"type": "string"}, "days": {"type": "integer"}}, ["city"])
    result = build_environment([weather, forecast], name="weather", environments_dir=tmp_path)
    assert result.accepted
    tool = next(t for t in result.manifest.tools if t.name == weather.name)
    assert set(tool.parameters["properties"]) == {"city"} and tool.parameters["required"] == ["city"]
    program = next(p for p in result.manifest.programs if p.name == weather.name)
    assert all(b.param == "city" for b in program.bindings)
    with open_episode(result.manifest, directory=tmp_path) as episode:
        assert episode.call(weather.name, {"city": "Paris"}).ok
