"""Schema model → DuckDB DDL.

Primary keys become constraints (unique, indexed keyed lookups). Foreign keys
are NOT declared in DDL: DuckDB refuses updates of referenced parent rows, and
episodes need them; programs check references as preconditions and the data
contract checks they resolve.
"""

from __future__ import annotations

from envscale.environments.schema.model import SchemaModel, Table


def table_ddl(table: Table) -> str:
    cols = []
    for c in table.columns:
        null = "" if c.nullable and c.name not in table.primary_key else " NOT NULL"
        cols.append(f'"{c.name}" {c.type}{null}')
    pk = ", ".join(f'"{k}"' for k in table.primary_key)
    cols.append(f"PRIMARY KEY ({pk})")
    return f'CREATE TABLE "{table.name}" (' + ", ".join(cols) + ")"


def schema_ddl(schema: SchemaModel) -> list[str]:
    """One CREATE TABLE per table, parents first."""
    return [table_ddl(t) for t in schema.parents_first()]
