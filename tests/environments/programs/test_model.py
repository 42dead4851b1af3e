"""Tool programs: statements in order, rules and written tables; argument names as unique bound parameters."""

from __future__ import annotations

from envscale.environments.programs.model import (
    BusinessRule,
    Precondition,
    ToolProgram,
    WriteStatement,
    sql_param,
    sql_params,
)

RULE = BusinessRule(tool="cancel_order", kind="state", description="Only pending orders can be cancelled.")
CANCEL = ToolProgram(
    name="cancel_order",
    kind="write",
    preconditions=(
        Precondition(
            sql="SELECT 1 FROM orders WHERE order_id = $order_id", error="order {order_id} not found"
        ),
        Precondition(
            sql="SELECT 1 FROM orders WHERE order_id = $order_id AND status = 'pending'",
            error="not pending",
            rule=RULE,
        ),
    ),
    writes=(
        WriteStatement(
            sql="UPDATE orders SET status = 'cancelled' WHERE order_id = $order_id", table="orders"
        ),
        WriteStatement(sql="INSERT INTO audit_log VALUES ($_new_id, $order_id)", table="audit_log"),
        WriteStatement(sql="UPDATE orders SET note = 'x' WHERE order_id = $order_id", table="orders"),
    ),
    result="SELECT * FROM orders WHERE order_id = $order_id",
)


def test_statements_rules_and_tables_written():
    assert CANCEL.statements()[0].startswith("SELECT 1 FROM orders") and len(CANCEL.statements()) == 6
    assert CANCEL.statements()[-1] == CANCEL.result
    assert CANCEL.rules == (RULE,)
    assert CANCEL.tables_written == ("orders", "audit_log")
    read = ToolProgram(name="list_orders", kind="read", result=None)
    assert read.statements() == [] and read.tables_written == ()


def test_sql_param_makes_ascii_identifiers():
    assert sql_param("order_id") == "order_id"
    assert sql_param("ship-to") == "ship_to"
    assert sql_param("2fa_code") == "p_2fa_code"
    assert sql_param("prénom") == "pr_nom"
    assert sql_param("名前") == "arg"


def test_sql_params_are_unique_and_keep_own_spellings():
    # DuckDB's $names ignore case: 'Ship_To' may not share 'ship_to'
    assert sql_params(["ship-to", "ship_to", "Ship_To"]) == {
        "ship-to": "ship_to_2",
        "ship_to": "ship_to",
        "Ship_To": "Ship_To_3",
    }
    names = sql_params(["ship-to", "ship_to", "_now", "名前", "名"])
    assert names["ship_to"] == "ship_to"  # spelled as its own parameter name: kept
    assert names["ship-to"] == "ship_to_2"
    assert names["_now"] == "_now_2"  # implicit names are reserved
    assert names["名前"] == "arg" and names["名"] == "arg_2"
    assert len({n.lower() for n in names.values()}) == len(names)
