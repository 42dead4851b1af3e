"""Reads answered in Python from the episode's rows: planned only for plain filters, same answers as DuckDB."""

from __future__ import annotations

import random

import pytest

from envscale.environments.runtime import row_reads
from envscale.environments.runtime.loaded import LoadedEnvironment
from envscale.environments.schema.model import Column, SchemaModel, Table

SCHEMA = SchemaModel(
    tables=(
        Table(
            name="orders",
            columns=(
                Column(name="order_id", type="VARCHAR", nullable=False),
                Column(name="status", type="VARCHAR"),
                Column(name="quantity", type="BIGINT"),
                Column(name="items", type="JSON"),
                Column(name="total", type="DOUBLE"),
            ),
            primary_key=("order_id",),
        ),
    )
)


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT * FROM "orders" WHERE "order_id" = CAST($order_id AS VARCHAR)',
        "SELECT status, quantity AS q FROM orders o WHERE o.order_id = $id AND status IN ('a', 'b')",
        'SELECT * FROM "orders" WHERE ($s IS NULL OR "status" = $s) ORDER BY "order_id" LIMIT 20',
        "SELECT 1 WHERE $id IS NULL UNION ALL SELECT 1 FROM orders WHERE order_id = $id",
        "SELECT 1 FROM orders WHERE quantity = 3",
    ],
)
def test_plain_filters_are_planned(sql):
    assert row_reads.plan(sql, SCHEMA) is not None


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM orders WHERE json_extract_string(items, '$.a') = $x",  # a function
        "SELECT * FROM orders WHERE total = $t",  # DOUBLE: DuckDB's numeric casts decide
        "SELECT * FROM orders WHERE quantity > $q",  # not an equality
        "SELECT * FROM orders ORDER BY status",  # ordered by something other than the key
        "SELECT * FROM orders WHERE order_id = $a OR status = $b",  # a disjunction
        "SELECT count(*) FROM orders",  # an aggregate
        "SELECT * FROM orders WHERE quantity = 2.5",  # a float literal
        "SELECT o.* FROM orders o JOIN orders p ON p.order_id = o.order_id",  # a join
        "SELECT * FROM nowhere WHERE id = $id",  # not a table of the schema
        "SELECT * FROM orders WHERE order_id = $id LIMIT $n",  # a bound limit
    ],
)
def test_everything_else_is_left_to_duckdb(sql):
    assert row_reads.plan(sql, SCHEMA) is None


def _pair(shop) -> tuple[LoadedEnvironment, LoadedEnvironment]:
    m = shop.manifest
    common = dict(env_id=m.env_id, schema=m.db_schema, tools=m.tools, programs=m.programs, clock=m.clock)
    path = m.db_path(shop.directory)
    return (
        LoadedEnvironment.from_file(path, python_reads=True, **common),
        LoadedEnvironment.from_file(path, python_reads=False, **common),
    )


def test_the_generated_shops_reads_and_checks_are_planned(shop):
    fast, plain = _pair(shop)
    try:
        for name in ("get_customer", "get_order", "list_orders"):
            assert fast.programs[name].row_result is not None, name
            assert plain.programs[name].row_result is None
        # A write's existence checks run in Python too; its statements stay in DuckDB.
        assert fast.programs["cancel_order"].row_checks is not None
        assert fast.programs["cancel_order"].row_result is None
    finally:
        fast.close(), plain.close()


def _random_call(rng: random.Random, ids: dict[str, list], made: list[str]) -> tuple[str, dict]:
    customer = rng.choice(ids["customers"] + ["ghost", 7, None])
    order = rng.choice(ids["orders"] + made + ["ord_nope", 12])
    name = rng.choice(
        ["get_customer", "get_order", "list_orders", "list_orders", "update_customer_email"]
        + ["create_order", "cancel_order", "delete_order"]
    )
    args = {
        "get_customer": {"customer_id": customer},
        "get_order": {"order_id": order},
        "list_orders": {"customer_id": customer, "limit": rng.choice([1, 3, None])},
        "update_customer_email": {"customer_id": customer, "email": f"x{rng.randrange(99)}@example.com"},
        "create_order": {"customer_id": customer, "total": rng.choice([1, 2.5, 999])},
        "cancel_order": {"order_id": order},
        "delete_order": {"order_id": order},
    }[name]
    return name, {k: v for k, v in args.items() if v is not None or rng.random() < 0.3}


def test_python_reads_answer_exactly_as_duckdb_through_random_episodes(shop):
    """Random calls (missing rows, wrong types, nulls, the episode's own inserts, updates and deletes)."""
    fast, plain = _pair(shop)
    rng = random.Random(3)
    try:
        with fast.open_episode() as probe:
            ids = {
                "customers": [r["customer_id"] for r in probe.query('SELECT customer_id FROM "customers"')],
                "orders": [r["order_id"] for r in probe.query('SELECT order_id FROM "orders"')],
            }
        answered_in_python = 0
        for _ in range(40):
            made: list[str] = []
            with fast.open_episode() as a, plain.open_episode() as b:
                for _ in range(12):
                    name, args = _random_call(rng, ids, made)
                    got, want = a.call(name, args), b.call(name, args)
                    assert got == want, (name, args)
                    if name == "create_order" and got.ok:
                        made.append(got.content["order_id"])
                    answered_in_python += name.startswith(("get", "list"))
                assert a.state_hash() == b.state_hash() and a.diff() == b.diff()
        assert answered_in_python > 100
    finally:
        fast.close(), plain.close()


def test_a_python_read_sees_its_own_episodes_writes_and_no_other(shop):
    fast, _ = _pair(shop)
    try:
        with fast.open_episode() as a, fast.open_episode() as b:
            order = a.query('SELECT * FROM "orders" ORDER BY "order_id" LIMIT 1')[0]
            assert a.call("delete_order", {"order_id": order["order_id"]}).ok
            gone = a.call("get_order", {"order_id": order["order_id"]})
            assert gone.error_code == "precondition_failed"
            assert b.call("get_order", {"order_id": order["order_id"]}).content == order
            made = a.call("create_order", {"customer_id": order["customer_id"], "total": 4}).content
            listed = a.call("list_orders", {"customer_id": order["customer_id"], "limit": 20}).content
            assert made in listed and order not in listed
            assert (
                made not in b.call("list_orders", {"customer_id": order["customer_id"], "limit": 20}).content
            )
    finally:
        fast.close()


def _rows(overlay: dict | None = None) -> row_reads.TableRows:
    base = {
        ("o1",): ("o1", "a", 1, "[]", 1.0),
        ("o2",): ("o2", None, 2, "[]", 2.0),
        ("o3",): ("o3", "b", 1, "[]", 3.0),
    }
    return row_reads.TableRows(base, overlay or {}, row_reads.BaseIndex(base))


def _ids(found) -> list[str]:
    return [r[0] for r in found]


def test_sql_null_semantics_and_value_types():
    by_status = row_reads.plan("SELECT * FROM orders WHERE status = $s", SCHEMA)
    # NULL = NULL is not true: neither a null argument nor a null column matches.
    assert row_reads.matching(by_status, _rows(), {"s": None}) == []
    assert _ids(row_reads.matching(by_status, _rows(), {"s": "a"})) == ["o1"]
    # A number for a text column: DuckDB would cast, so Python does not decide.
    assert row_reads.matching(by_status, _rows(), {"s": 1}) is row_reads.UNDECIDED
    by_key = row_reads.plan("SELECT * FROM orders WHERE order_id = $id", SCHEMA)
    assert row_reads.matching(by_key, _rows(), {"id": None}) == []
    assert row_reads.matching(by_key, _rows(), {"id": True}) is row_reads.UNDECIDED
    optional = row_reads.plan("SELECT * FROM orders WHERE ($s IS NULL OR status = $s)", SCHEMA)
    assert _ids(row_reads.matching(optional, _rows(), {"s": None})) == ["o1", "o2", "o3"]


def test_overlay_rows_count_in_scan_order_and_key_order():
    overlay = {("o1",): None, ("o3",): ("o3", "a", 1, "[]", 3.0), ("o0",): ("o0", "a", 5, "[]", 0.0)}
    by_status = row_reads.plan("SELECT order_id FROM orders WHERE status IN ('a')", SCHEMA)
    # o1 deleted, o3 now 'a' (it was 'b' in the base), o0 inserted: base positions first, then inserts.
    assert _ids(row_reads.matching(by_status, _rows(overlay), {})) == ["o3", "o0"]
    ordered = row_reads.plan("SELECT * FROM orders WHERE quantity = 1 ORDER BY order_id LIMIT 1", SCHEMA)
    assert _ids(row_reads.matching(ordered, _rows(overlay), {})) == ["o3"]
    assert _ids(row_reads.matching(ordered, _rows(), {})) == ["o1"]
    exists = row_reads.plan(
        "SELECT 1 WHERE $id IS NULL UNION ALL SELECT 1 FROM orders WHERE order_id = $id", SCHEMA
    )
    assert row_reads.exists(exists, _rows(overlay), {"id": None}) is True
    assert row_reads.exists(exists, _rows(overlay), {"id": "o1"}) is False
    assert row_reads.exists(exists, _rows(overlay), {"id": "o0"}) is True
