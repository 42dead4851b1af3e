"""A small, real shop environment for validation tests: hand-written programs over DuckDB.

Three tools are deliberately flawed the way a generated environment can be:
``add_note`` writes ``audit_log`` while its manifest declares only ``orders``,
``set_quantity`` accepts any integer although ``orders.quantity`` is bounded
1..100, and ``remove_customer`` leaves the customer's orders dangling. State
alignment cannot see any of them; the contracts must.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from envscale.environments import sandbox
from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.programs.model import Precondition, ToolProgram, WriteStatement
from envscale.environments.runtime import open_episode
from envscale.environments.runtime.contracts import EnvTool
from envscale.environments.schema.ddl import schema_ddl
from envscale.environments.schema.model import Column, ForeignKey, SchemaModel, Table
from envscale.environments.synthesis.intents import template_task
from envscale.environments.synthesis.interplay import Job, build_reverse
from envscale.environments.synthesis.records import Blueprint, GoldCall, Trajectory

SCHEMA = SchemaModel(
    tables=(
        Table(
            name="customers",
            columns=(
                Column(name="customer_id", type="VARCHAR", nullable=False),
                Column(name="name", type="VARCHAR"),
                Column(name="tier", type="VARCHAR", enum=("basic", "gold")),
            ),
            primary_key=("customer_id",),
        ),
        Table(
            name="orders",
            columns=(
                Column(name="order_id", type="VARCHAR", nullable=False),
                Column(name="customer_id", type="VARCHAR"),
                Column(name="status", type="VARCHAR", enum=("pending", "shipped", "cancelled")),
                Column(name="quantity", type="BIGINT", minimum=1, maximum=100),
            ),
            primary_key=("order_id",),
            foreign_keys=(
                ForeignKey(columns=("customer_id",), ref_table="customers", ref_columns=("customer_id",)),
            ),
        ),
        Table(
            name="audit_log",
            columns=(
                Column(name="entry_id", type="VARCHAR", nullable=False),
                Column(name="order_id", type="VARCHAR"),
                Column(name="note", type="VARCHAR"),
            ),
            primary_key=("entry_id",),
        ),
    )
)

ROWS = {
    "customers": [("c1", "Ada", "gold"), ("c2", "Bob", "basic")],
    "orders": [("o1", "c1", "pending", 2), ("o2", "c1", "shipped", 1), ("o3", "c2", "pending", 5)],
    "audit_log": [],
}


def _obj(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


_ID = {"type": "string", "description": "Order id, e.g. o1."}
TOOLS = (
    EnvTool(name="list_orders", description="List all orders.", parameters=_obj({}, []), kind="read"),
    EnvTool(
        name="get_order",
        description="One order.",
        parameters=_obj({"order_id": _ID}, ["order_id"]),
        kind="read",
    ),
    EnvTool(
        name="get_customer",
        description="One customer.",
        parameters=_obj({"customer_id": {"type": "string"}}, ["customer_id"]),
        kind="read",
    ),
    EnvTool(
        name="cancel_order",
        description="Cancel a pending order.",
        parameters=_obj({"order_id": _ID}, ["order_id"]),
        kind="write",
        writes=("orders",),
    ),
    EnvTool(
        name="set_quantity",
        description="Change an order's quantity.",
        parameters=_obj({"order_id": _ID, "quantity": {"type": "integer"}}, ["order_id", "quantity"]),
        kind="write",
        writes=("orders",),
    ),
    EnvTool(
        name="remove_customer",
        description="Delete a customer.",
        parameters=_obj({"customer_id": {"type": "string"}}, ["customer_id"]),
        kind="write",
        writes=("customers",),  # the flaw: leaves the customer's orders dangling
    ),
    EnvTool(
        name="add_note",
        description="Attach a note to an order.",
        parameters=_obj({"order_id": _ID, "note": {"type": "string"}}, ["order_id", "note"]),
        kind="write",
        writes=("orders",),  # the flaw: the program writes audit_log
    ),
)

_ORDER_EXISTS = Precondition(
    sql="SELECT 1 FROM orders WHERE order_id = $order_id", error="order {order_id} not found"
)
PROGRAMS = (
    ToolProgram(
        name="list_orders", kind="read", result="SELECT * FROM orders ORDER BY order_id", origin="hand"
    ),
    ToolProgram(
        name="get_order",
        kind="read",
        result="SELECT * FROM orders WHERE order_id = $order_id",
        result_mode="row",
        empty_error="order {order_id} not found",
        origin="hand",
    ),
    ToolProgram(
        name="get_customer",
        kind="read",
        result="SELECT * FROM customers WHERE customer_id = $customer_id",
        result_mode="row",
        empty_error="customer {customer_id} not found",
        origin="hand",
    ),
    ToolProgram(
        name="cancel_order",
        kind="write",
        preconditions=(
            _ORDER_EXISTS,
            Precondition(
                sql="SELECT 1 FROM orders WHERE order_id = $order_id AND status = 'pending'",
                error="order {order_id} is not pending",
            ),
        ),
        writes=(
            WriteStatement(
                sql="UPDATE orders SET status = 'cancelled' WHERE order_id = $order_id", table="orders"
            ),
        ),
        result_mode="row",
        origin="hand",
    ),
    ToolProgram(
        name="set_quantity",
        kind="write",
        preconditions=(_ORDER_EXISTS,),
        writes=(
            WriteStatement(
                sql="UPDATE orders SET quantity = $quantity WHERE order_id = $order_id", table="orders"
            ),
        ),
        result_mode="row",
        origin="hand",
    ),
    ToolProgram(
        name="remove_customer",
        kind="write",
        writes=(
            WriteStatement(sql="DELETE FROM customers WHERE customer_id = $customer_id", table="customers"),
        ),
        result_mode="row",
        origin="hand",
    ),
    ToolProgram(
        name="add_note",
        kind="write",
        preconditions=(_ORDER_EXISTS,),
        writes=(
            WriteStatement(
                sql="INSERT INTO audit_log VALUES ($_new_id, $order_id, $note)", table="audit_log"
            ),
        ),
        result_mode="row",
        origin="hand",
    ),
)


def build_shop(directory: Path) -> EnvironmentManifest:
    """Write the shop's DuckDB file and manifest under ``directory``; return the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = EnvironmentManifest(
        env_id="shop0000test0001",
        name="shop",
        origin="generated",
        domain_id="dom-shop",
        tools=TOOLS,
        programs=PROGRAMS,
        db_schema=SCHEMA,
        table_counts={t: len(r) for t, r in ROWS.items()},
    )
    path = manifest.db_path(directory)
    path.unlink(missing_ok=True)
    con = sandbox.connect(path)
    try:
        for ddl in schema_ddl(SCHEMA):
            con.execute(ddl)
        for table, rows in ROWS.items():
            for row in rows:
                con.execute(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in row)})", list(row))
    finally:
        con.close()
    with open_episode(manifest, directory=directory) as episode:
        manifest = manifest.model_copy(update={"initial_state_hash": episode.state_hash()})
    manifest.write(directory)
    return manifest


def make_blueprint(
    manifest: EnvironmentManifest, directory: Path, calls: list[tuple[str, dict[str, Any]]]
) -> Blueprint:
    """Run the gold calls on a fresh episode, as the sampler does, and record the blueprint."""
    tools = {t.name: t for t in manifest.tools}
    gold = []
    with open_episode(manifest, directory=directory) as episode:
        for name, args in calls:
            before = episode.state_hash()
            result = episode.call(name, args)
            assert result.ok, (name, args, result.error)
            gold.append(
                GoldCall(
                    name=name,
                    arguments=args,
                    kind=tools[name].kind,
                    ok=True,
                    result=result.content,
                    changed_state=episode.state_hash() != before,
                )
            )
        return Blueprint.recorded(manifest.env_id, gold, episode)


def reverse_trajectory(manifest: EnvironmentManifest, blueprint: Blueprint, attempt: int = 0) -> Trajectory:
    """The synthesis reverse mode's trajectory for ``blueprint``."""
    job = Job(task=template_task(blueprint), blueprint=blueprint, attempt=attempt)
    return build_reverse(job, manifest.openai_tools())


def with_messages(trajectory: Trajectory, messages: list[dict[str, Any]], **update: Any) -> Trajectory:
    return trajectory.model_copy(update={"messages": tuple(messages), **update})


def call_message(call_id: str, name: str, arguments: Any) -> dict[str, Any]:
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": raw}}],
    }


def tool_message(call_id: str, content: Any) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": json.dumps(content)}
