"""DuckDB values to JSON-ready Python, and canonical row hashes that combine into an order-free state hash."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import duckdb

from envscale.environments.runtime.values import (
    combine,
    json_columns,
    normalize_row,
    parse_json_columns,
    row_hash,
    to_json_value,
)


def test_to_json_value_for_what_duckdb_returns():
    con = duckdb.connect()
    row = con.execute(
        "SELECT DATE '2024-01-02', TIMESTAMP '2024-01-02 03:04:05', 1.50::DECIMAL(5,2), 'nan'::DOUBLE,"
        " [1, 2], {'a': 1}, INTERVAL 1 DAY, 'ab'::BLOB"
    ).fetchone()
    assert [to_json_value(v) for v in row] == [
        "2024-01-02",
        "2024-01-02T03:04:05",
        1.5,
        None,
        [1, 2],
        {"a": 1},
        "1 day, 0:00:00",
        "6162",
    ]
    u = uuid.UUID(int=1)
    assert to_json_value(u) == str(u) and to_json_value(decimal.Decimal("2")) == 2.0
    assert normalize_row(("x", 1, dt.date(2024, 1, 2), None)) == ("x", 1, "2024-01-02", None)


def test_row_hash_is_by_content_for_json_columns_only():
    a = row_hash("orders", ("o1", '{"a":1,"b":2}'), json_cols=(1,))
    assert a == row_hash("orders", ("o1", '{"b": 2, "a": 1}'), json_cols=(1,))
    assert row_hash("orders", ("o1", '{"a":1,"b":2}')) != row_hash("orders", ("o1", '{"b": 2, "a": 1}'))
    assert a != row_hash("returns", ("o1", '{"a":1,"b":2}'), json_cols=(1,))  # the table counts
    assert json_columns(["id", "meta", "note"], {"meta": "JSON", "note": "VARCHAR"}) == (1,)


def test_combine_ignores_insertion_order_and_sees_every_table():
    rows = [row_hash("t", (i,)) for i in range(3)]
    assert combine({"t": sum(rows), "u": 0}) == combine({"u": 0, "t": sum(reversed(rows))})
    assert combine({"t": sum(rows)}) != combine({"t": sum(rows[:2])})
    assert len(combine({"t": 1})) == 32


def test_parse_json_columns_gives_structure():
    assert parse_json_columns(
        ["id", "meta", "bad"], ["VARCHAR", "JSON", "JSON"], ("o1", '{"k": [1]}', "{oops")
    ) == {
        "id": "o1",
        "meta": {"k": [1]},
        "bad": "{oops",
    }
