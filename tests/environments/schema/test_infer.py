"""Rule-based schema inference, DDL, the LLM proposal with fallback, and seeding."""

from __future__ import annotations

import json

import duckdb
import pytest

from envscale.environments.schema.ddl import schema_ddl
from envscale.environments.schema.infer import infer_schema
from envscale.environments.schema.llm import DesignError, propose_design
from envscale.environments.seeding import seed_rows
from tests.support.tool_stubs import tool_stub as _tool

TOOLS = [
    _tool("get_order", {"order_id": {"type": "string"}}, ["order_id"]),
    _tool(
        "create_order",
        {
            "customer_id": {"type": "string"},
            "total": {"type": "number", "minimum": 0, "maximum": 500},
            "priority": {"type": "string", "enum": ["low", "high"]},
        },
        ["customer_id", "total"],
    ),
    _tool("getCustomer", {"customerId": {"type": "string"}}, ["customerId"]),
    _tool(
        "update_order_note",
        {"order_id": {"type": "string"}, "note": {"type": "string"}, "quantity": {"type": "integer"}},
        ["order_id"],
    ),
]


def test_ids_become_tables_keys_and_foreign_keys():
    inferred = infer_schema(TOOLS)
    schema = inferred.schema
    orders = schema.table("orders")
    assert orders.primary_key == ("order_id",)
    assert {c.name for c in orders.columns} >= {
        "order_id",
        "customer_id",
        "total",
        "priority",
        "note",
        "quantity",
    }
    fk = orders.foreign_keys[0]
    assert (fk.columns, fk.ref_table, fk.ref_columns) == (("customer_id",), "customers", ("customer_id",))
    assert schema.table("customers").primary_key == ("customer_id",)
    total = orders.column("total")
    assert (total.type, total.minimum, total.maximum) == ("DOUBLE", 0, 500)
    assert orders.column("priority").enum == ("low", "high")
    assert orders.column("quantity").type == "BIGINT"
    assert [t.name for t in schema.parents_first()].index("customers") < [
        t.name for t in schema.parents_first()
    ].index("orders")
    assert inferred.plans["create_order"].action == "create" and inferred.plans["get_order"].action == "read"
    assert inferred.plans["getCustomer"].key_param == "customerId"
    con = duckdb.connect()
    for ddl in schema_ddl(schema):
        con.execute(ddl)


def test_seeding_respects_keys_fks_enums_bounds_and_is_deterministic():
    schema = infer_schema(TOOLS).schema
    rows = seed_rows(schema, 25, seed=11)
    assert rows == seed_rows(schema, 25, seed=11)
    assert rows != seed_rows(schema, 25, seed=12)
    customers = {r["customer_id"] for r in rows["customers"]}
    orders = rows["orders"]
    assert len(orders) == 25 and len({r["order_id"] for r in orders}) == 25
    assert all(r["customer_id"] in customers for r in orders)
    assert all(r["priority"] in ("low", "high") for r in orders)
    assert all(0 <= r["total"] <= 500 for r in orders)
    assert len({r["note"] for r in orders}) > 5  # diverse


def test_enums_that_contradict_their_type_are_fitted_so_seeded_rows_load(tmp_path):
    """Real schemas (found in BFCL/ToolBench at scale) declare enums their type cannot hold."""
    from envscale.environments.builder import build_environment

    tool = _tool(
        "update_reading",
        {
            "reading_id": {"type": "string"},
            "year": {"type": "integer", "enum": ["2011", "2012", "recent"]},
            "exact": {"type": "boolean", "enum": ["dontcare", "true"]},
            "details": {"type": "object", "enum": ["temperature", "humidity"]},
            "ratio": {"type": "number", "enum": [0.5, "1.5", "n/a"]},
        },
        ["reading_id"],
    )
    readings = infer_schema([tool]).schema.table("readings")
    assert readings.column("year").enum == (2011, 2012)
    assert readings.column("exact").enum == (True,)
    assert readings.column("details").type == "JSON" and readings.column("details").enum is None
    assert readings.column("ratio").enum == (0.5, 1.5)
    result = build_environment([tool], name="readings", environments_dir=tmp_path, min_working_tools=1)
    assert result.manifest.table_counts["readings"] > 0  # the rows went into the typed table


def _fake_llm(reply: str):
    calls = []

    def complete(messages):
        calls.append(messages)
        return reply

    complete.calls = calls
    return complete


def test_llm_design_is_validated_and_compiled():
    design = {
        "schema": {
            "tables": [
                {
                    "name": "orders",
                    "primary_key": ["order_id"],
                    "columns": [
                        {"name": "order_id", "type": "VARCHAR", "nullable": False},
                        {"name": "note", "type": "VARCHAR"},
                    ],
                }
            ]
        },
        "programs": [
            {
                "name": "get_order",
                "kind": "read",
                "result": "SELECT * FROM orders WHERE order_id = $order_id",
                "result_mode": "row",
            },
            {
                "name": "update_order_note",
                "kind": "write",
                "writes": [
                    {"sql": "UPDATE orders SET note = $note WHERE order_id = $order_id", "table": "orders"}
                ],
            },
            {
                "name": "create_order",
                "kind": "write",
                "writes": [{"sql": "COPY orders TO 'x.csv'", "table": "orders"}],
            },
        ],
    }
    llm = _fake_llm("Here you go:\n```json\n" + json.dumps(design) + "\n```")
    schema, programs, rejected = propose_design(TOOLS, llm)
    assert schema.origin == "llm" and set(programs) == {"get_order", "update_order_note"}
    assert (
        rejected["create_order"].startswith("llm_program_invalid")
        and rejected["getCustomer"] == "llm_program_missing"
    )
    assert all(p.origin == "llm" for p in programs.values())


@pytest.mark.parametrize(
    "reply",
    [
        "no json here",
        '{"schema": {"tables": []}}',
        '{"schema": {"tables": [{"name": "Bad Name"}]}, "programs": []}',
    ],
)
def test_broken_llm_design_raises_so_the_builder_falls_back(reply):
    with pytest.raises((DesignError, ValueError)):
        propose_design(TOOLS, _fake_llm(reply))


def _status_tools():
    update = _tool(
        "update_order",
        {"order_id": {"type": "string"}, "status": {"type": "string", "description": "any status text"}},
        ["order_id", "status"],
        "write",
    )
    cancel = _tool("cancel_order", {"order_id": {"type": "string"}}, ["order_id"], "write")
    return update, cancel


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_free_text_status_column_stays_open_whatever_the_tool_order(order):
    """A no-value verb (cancel) must not close a status column another tool writes free text into."""
    tools = [_status_tools()[i] for i in order]
    inferred = infer_schema(tools)
    status = inferred.schema.table("orders").column("status")
    assert status.enum is None and status.type == "VARCHAR"
    assert inferred.plans["cancel_order"].status_value == "cancelled"


def test_verb_status_joins_an_existing_status_enum():
    update = _tool(
        "update_order",
        {"order_id": {"type": "string"}, "status": {"type": "string", "enum": ["open", "shipped"]}},
        ["order_id", "status"],
        "write",
    )
    cancel = _tool("cancel_order", {"order_id": {"type": "string"}}, ["order_id"], "write")
    status = infer_schema([update, cancel]).schema.table("orders").column("status")
    assert status.enum == ("open", "shipped", "cancelled")


def test_truncation_keeps_foreign_key_and_status_columns_plans_rely_on():
    props = {f"field{i}": {"type": "string"} for i in range(40)}
    props["customer_id"] = {"type": "string"}
    tools = [
        _tool("create_order", props, ["customer_id"], "write"),
        _tool("get_customer", {"customer_id": {"type": "string"}}, ["customer_id"]),
        _tool("cancel_order", {"order_id": {"type": "string"}}, ["order_id"], "write"),
    ]
    inferred = infer_schema(tools)
    orders = inferred.schema.table("orders")
    assert len(orders.columns) == 32
    assert {"customer_id", "status"} <= set(orders.column_names)
    assert [fk.columns for fk in orders.foreign_keys] == [("customer_id",)]
    assert inferred.plans["cancel_order"].status_value == "cancelled"
    for plan in inferred.plans.values():  # every binding points at a column that exists
        table = inferred.schema.table(plan.table)
        assert all(b.column in table.column_names for b in plan.bindings if b.role in ("column", "ref"))


def test_exclusive_bounds_stay_exclusive():
    tool = _tool(
        "update_reading",
        {
            "reading_id": {"type": "string"},
            "copies": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "level": {"type": "integer", "minimum": 2, "exclusiveMinimum": 4},
        },
        ["reading_id"],
    )
    readings = infer_schema([tool]).schema.table("readings")
    copies, ratio, level = (readings.column(n) for n in ("copies", "ratio", "level"))
    assert (copies.minimum, copies.maximum) == (1, 9)
    assert 0 < ratio.minimum < 1e-300 and 1 - 1e-15 < ratio.maximum < 1
    assert level.minimum == 5  # the tighter of minimum 2 and exclusiveMinimum 4
    rows = seed_rows(infer_schema([tool]).schema, 200, seed=3)["readings"]
    assert all(0 < r["ratio"] < 1 and 1 <= r["copies"] <= 9 for r in rows)


def test_arguments_that_normalise_alike_get_their_own_columns():
    tool = _tool(
        "update_order",
        {"order_id": {"type": "string"}, "ship-to": {"type": "string"}, "ship_to": {"type": "string"}},
        ["order_id", "ship-to"],
        "write",
    )
    plan = infer_schema([tool]).plans["update_order"]
    columns = {b.param: b.column for b in plan.bindings if b.role == "column"}
    assert columns["ship_to"] == "ship_to"  # the exact spelling keeps the plain name
    assert columns["ship-to"] != "ship_to"
    assert len(set(plan.params.values())) == 3
