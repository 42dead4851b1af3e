"""Rule-compiled programs: bound parameters only, reads never write, writes declare their tables."""

from __future__ import annotations

import re

from envscale.environments.programs.checker import check_program
from envscale.environments.programs.compiler import compile_plan
from envscale.environments.schema.infer import infer_schema
from tests.support.tool_stubs import tool_stub


def _tool(name, props, required, kind="unknown"):
    return tool_stub(name, props, required, kind, description="")


TOOLS = [
    _tool("get_booking", {"booking_id": {"type": "string"}}, ["booking_id"]),
    _tool(
        "create_booking",
        {
            "guest_id": {"type": "string"},
            "nights": {"type": "integer", "minimum": 1},
            "room": {"type": "string"},
        },
        ["guest_id", "nights"],
    ),
    _tool("cancel_booking", {"booking_id": {"type": "string"}}, ["booking_id"]),
    _tool("delete_guest", {"guest_id": {"type": "string"}}, ["guest_id"]),
    _tool("search_bookings", {"room": {"type": "string"}, "page": {"type": "integer"}}, []),
]


def test_programs_bind_every_argument():
    inferred = infer_schema(TOOLS)
    for tool in TOOLS:
        program = compile_plan(inferred.plans[tool.name], inferred.schema)
        check_program(program, inferred.schema.table_names, tool.parameters)
        for sql in program.statements():
            # no argument value or name is ever pasted as a literal
            literals = re.findall(r"'([^']*)'", sql)
            assert not set(literals) & {"booking_id", "guest_id", "room"}, sql
        if program.kind == "read":
            assert not program.writes and program.tables_written == ()
        else:
            assert program.tables_written
    programs = {t.name: compile_plan(inferred.plans[t.name], inferred.schema) for t in TOOLS}
    assert (
        programs["cancel_booking"].kind == "write"
        and "'cancelled'" in programs["cancel_booking"].writes[0].sql
    )
    assert programs["create_booking"].preconditions[0].expect == "row"  # the guest must exist
    # deleting a guest still referenced by bookings is refused
    assert any(p.expect == "no_row" and "bookings" in p.sql for p in programs["delete_guest"].preconditions)
    assert (
        "LIMIT" in programs["search_bookings"].result
        and "$room IS NULL" in programs["search_bookings"].result
    )


def test_delete_without_the_key_still_refuses_rows_children_refer_to():
    """delete_customer(email) must check orders.customer_id through the email, like a keyed delete."""
    import duckdb

    from envscale.environments.schema.ddl import schema_ddl

    tools = [
        _tool(
            "create_order", {"customer_id": {"type": "string"}, "total": {"type": "number"}}, ["customer_id"]
        ),
        _tool(
            "get_customer", {"customer_id": {"type": "string"}, "email": {"type": "string"}}, ["customer_id"]
        ),
        _tool("delete_customer", {"email": {"type": "string"}}, ["email"], "write"),
    ]
    inferred = infer_schema(tools)
    program = compile_plan(inferred.plans["delete_customer"], inferred.schema)
    check_program(program, inferred.schema.table_names, tools[2].parameters)
    guards = [p for p in program.preconditions if p.expect == "no_row"]
    assert len(guards) == 1 and '"orders"' in guards[0].sql
    con = duckdb.connect()
    for ddl in schema_ddl(inferred.schema):
        con.execute(ddl)
    con.execute("INSERT INTO customers (customer_id, email) VALUES ('c1', 'a@x'), ('c2', 'b@x')")
    con.execute("INSERT INTO orders (order_id, customer_id) VALUES ('o1', 'c1')")
    referenced = con.execute(guards[0].sql, {"email": "a@x"}).fetchall()
    free = con.execute(guards[0].sql, {"email": "b@x"}).fetchall()
    assert referenced and not free


def test_colliding_argument_spellings_bind_separate_parameters():
    tool = _tool(
        "update_booking",
        {"booking_id": {"type": "string"}, "ship-to": {"type": "string"}, "ship_to": {"type": "string"}},
        ["booking_id", "ship-to", "ship_to"],
    )
    inferred = infer_schema([tool])
    program = compile_plan(inferred.plans["update_booking"], inferred.schema)
    check_program(program, inferred.schema.table_names, tool.parameters)
    sql = program.writes[0].sql
    assert '"ship_to" = $ship_to ' in sql and '"ship_to_2" = $ship_to_2' in sql
