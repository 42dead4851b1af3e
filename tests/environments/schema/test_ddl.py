"""Schema model → DuckDB DDL: parents first, primary keys enforced, NOT NULL where declared, no FK constraints."""

from __future__ import annotations

import duckdb
import pytest

from envscale.environments.schema.ddl import schema_ddl, table_ddl
from envscale.environments.schema.model import Column, ForeignKey, SchemaModel, Table

CUSTOMERS = Table(
    name="customers",
    columns=(Column(name="customer_id", type="VARCHAR"), Column(name="name", type="VARCHAR", nullable=False)),
    primary_key=("customer_id",),
)
ORDERS = Table(
    name="orders",
    columns=(
        Column(name="order_id", type="VARCHAR"),
        Column(name="customer_id", type="VARCHAR"),
        Column(name="total", type="DOUBLE"),
    ),
    primary_key=("order_id",),
    foreign_keys=(ForeignKey(columns=("customer_id",), ref_table="customers", ref_columns=("customer_id",)),),
)


def test_table_ddl_text():
    assert table_ddl(CUSTOMERS) == (
        'CREATE TABLE "customers" ("customer_id" VARCHAR NOT NULL, "name" VARCHAR NOT NULL, '
        'PRIMARY KEY ("customer_id"))'
    )


def test_schema_ddl_creates_parents_first_and_duckdb_enforces_keys():
    schema = SchemaModel(tables=(ORDERS, CUSTOMERS))  # the child listed first
    statements = schema_ddl(schema)
    assert [s.split('"')[1] for s in statements] == ["customers", "orders"]
    con = duckdb.connect()
    for statement in statements:
        con.execute(statement)
    con.execute("INSERT INTO customers VALUES ('c1', 'Ada')")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO customers VALUES ('c1', 'Bob')")  # primary key
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO customers VALUES ('c2', NULL)")  # NOT NULL
    con.execute("INSERT INTO orders VALUES ('o1', 'c9', NULL)")  # no FK constraint: programs check references
    con.execute("UPDATE customers SET name = 'Ada L.' WHERE customer_id = 'c1'")
    assert con.execute("SELECT count(*) FROM orders").fetchone() == (1,)
