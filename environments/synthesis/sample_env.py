"""A small hand-made environment (a shop): for tests, demos and the synthesis benchmark.

Real runtime, real DuckDB file and manifest, no builder needed: two tables, five
tools (three reads, two writes) and their dependency edges.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envscale.environments.manifest import DependencyEdge, EnvironmentManifest
from envscale.environments.programs.model import Precondition, ToolProgram, WriteStatement
from envscale.environments.runtime.contracts import EnvTool
from envscale.environments.schema.model import Column, ForeignKey, SchemaModel, Table


def _obj(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


_STR = {"type": "string"}

TOOLS = (
    EnvTool(name="list_customers", description="List all customers.", parameters=_obj({}, []), kind="read"),
    EnvTool(
        name="get_customer",
        description="Get one customer by id.",
        parameters=_obj({"customer_id": {**_STR, "description": "Customer id."}}, ["customer_id"]),
        kind="read",
    ),
    EnvTool(
        name="create_order",
        description="Create a pending order for a customer.",
        parameters=_obj(
            {
                "customer_id": {**_STR, "description": "Customer id."},
                "item": {
                    "type": "string",
                    "enum": ["lamp", "chair", "desk", "mug"],
                    "description": "Item to order.",
                },
                "quantity": {"type": "integer", "minimum": 1, "maximum": 9, "description": "How many."},
            },
            ["customer_id", "item", "quantity"],
        ),
        kind="write",
        writes=("orders",),
    ),
    EnvTool(
        name="get_order",
        description="Get one order by id.",
        parameters=_obj({"order_id": {**_STR, "description": "Order id."}}, ["order_id"]),
        kind="read",
    ),
    EnvTool(
        name="cancel_order",
        description="Cancel a pending order.",
        parameters=_obj({"order_id": {**_STR, "description": "Order id."}}, ["order_id"]),
        kind="write",
        writes=("orders",),
    ),
)

PROGRAMS = (
    ToolProgram(
        name="list_customers",
        kind="read",
        result='SELECT * FROM "customers" ORDER BY "customer_id"',
        origin="hand",
    ),
    ToolProgram(
        name="get_customer",
        kind="read",
        result='SELECT * FROM "customers" WHERE "customer_id" = $customer_id',
        result_mode="row",
        empty_error="customer {customer_id} not found",
        origin="hand",
    ),
    ToolProgram(
        name="create_order",
        kind="write",
        preconditions=(
            Precondition(
                sql='SELECT 1 FROM "customers" WHERE "customer_id" = $customer_id',
                error="customer {customer_id} not found",
            ),
        ),
        writes=(
            WriteStatement(
                sql="INSERT INTO \"orders\" VALUES ($_new_id, $customer_id, $item, $quantity, 'pending')",
                table="orders",
            ),
        ),
        result_mode="row",
        origin="hand",
    ),
    ToolProgram(
        name="get_order",
        kind="read",
        result='SELECT * FROM "orders" WHERE "order_id" = $order_id',
        result_mode="row",
        empty_error="order {order_id} not found",
        origin="hand",
    ),
    ToolProgram(
        name="cancel_order",
        kind="write",
        preconditions=(
            Precondition(
                sql='SELECT 1 FROM "orders" WHERE "order_id" = $order_id AND "status" = \'pending\'',
                error="order {order_id} is not pending",
            ),
        ),
        writes=(
            WriteStatement(
                sql='UPDATE "orders" SET "status" = \'cancelled\' WHERE "order_id" = $order_id',
                table="orders",
            ),
        ),
        result_mode="row",
        origin="hand",
    ),
)

EDGES = (
    ("list_customers", "get_customer"),
    ("list_customers", "create_order"),
    ("get_customer", "create_order"),
    ("create_order", "get_order"),
    ("create_order", "cancel_order"),
    ("get_order", "cancel_order"),
)

SCHEMA = SchemaModel(
    tables=(
        Table(
            name="customers",
            columns=(
                Column(name="customer_id", type="VARCHAR", nullable=False),
                Column(name="name", type="VARCHAR"),
                Column(name="email", type="VARCHAR"),
            ),
            primary_key=("customer_id",),
        ),
        Table(
            name="orders",
            columns=(
                Column(name="order_id", type="VARCHAR", nullable=False),
                Column(name="customer_id", type="VARCHAR"),
                Column(name="item", type="VARCHAR"),
                Column(name="quantity", type="BIGINT"),
                Column(name="status", type="VARCHAR"),
            ),
            primary_key=("order_id",),
            foreign_keys=(
                ForeignKey(columns=("customer_id",), ref_table="customers", ref_columns=("customer_id",)),
            ),
        ),
    ),
    origin="imported",
)

_CUSTOMERS = [
    ("C-100", "Ada Lovelace", "ada@example.com"),
    ("C-200", "Alan Turing", "alan@example.com"),
    ("C-300", "Grace Hopper", "grace@example.com"),
]
_ORDERS = [("O-1", "C-100", "lamp", 1, "pending"), ("O-2", "C-200", "desk", 2, "shipped")]


def build_sample_env(environments_dir: Path, *, name: str = "sample_shop") -> EnvironmentManifest:
    """Write ``<env_id>.duckdb`` and ``<env_id>.json`` under ``environments_dir``; returns the manifest."""
    from envscale.environments import sandbox
    from envscale.environments.schema.ddl import schema_ddl
    from envscale.hashing import content_hash

    env_id = "sample-" + content_hash(
        {
            "name": name,
            "schema": SCHEMA.model_dump(mode="json"),
            "programs": [p.model_dump(mode="json") for p in PROGRAMS],
        },
        length=10,
    )
    manifest = EnvironmentManifest(
        env_id=env_id,
        name=name,
        origin="imported",
        tools=TOOLS,
        programs=PROGRAMS,
        edges=tuple(DependencyEdge(source=s, target=t) for s, t in EDGES),
        db_schema=SCHEMA,
        table_counts={"customers": len(_CUSTOMERS), "orders": len(_ORDERS)},
    )
    environments_dir.mkdir(parents=True, exist_ok=True)
    db = manifest.db_path(environments_dir)
    if not db.exists():
        tmp = db.with_suffix(".tmp.duckdb")
        tmp.unlink(missing_ok=True)
        con = sandbox.connect(tmp)
        try:
            for ddl in schema_ddl(SCHEMA):
                con.execute(ddl)
            con.executemany('INSERT INTO "customers" VALUES (?, ?, ?)', _CUSTOMERS)
            con.executemany('INSERT INTO "orders" VALUES (?, ?, ?, ?, ?)', _ORDERS)
        finally:
            con.close()
        tmp.replace(db)
    manifest.write(environments_dir)
    return manifest


def register_sample_env(
    warehouse: Any, environments_dir: Path, *, name: str = "sample_shop"
) -> EnvironmentManifest:
    """Build the sample environment and register it as accepted in the warehouse ``environments`` table."""
    from envscale.environments.store.environments import add_environment
    from envscale.hashing import content_hash

    manifest = build_sample_env(environments_dir, name=name)
    add_environment(
        warehouse, manifest, manifest.db_path(environments_dir), lineage_hash=content_hash(manifest.env_id)
    )
    return manifest
