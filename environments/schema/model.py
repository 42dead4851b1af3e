"""The schema model: what an environment's tables look like, independent of SQL text."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ColumnType = Literal["VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "JSON"]
# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}\Z")
# DuckDB BIGINT (and pyarrow int64) range: schemas declare e.g. maximum 2**64-1 (uint64).
INT64_MAX = 2**63 - 1


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Column(_Model):
    name: str = Field(description="Column name (lower snake case).")
    type: ColumnType = Field(description="DuckDB type.")
    nullable: bool = Field(True, description="Whether NULL is allowed.")
    enum: tuple[Any, ...] | None = Field(None, description="Allowed values (from a JSON Schema enum).")
    minimum: float | None = Field(None, description="Inclusive lower bound (numbers).")
    maximum: float | None = Field(None, description="Inclusive upper bound (numbers).")
    format: str | None = Field(
        None, description="JSON Schema format or a semantic hint (email, date, name...)."
    )
    description: str = Field("", description="Where the column came from; shown to seeders and LLMs.")
    pattern: str | None = Field(None, description="Regex its values match (the tool's JSON Schema pattern).")
    min_length: int | None = Field(None, description="Shortest text allowed (JSON Schema minLength).")
    max_length: int | None = Field(None, description="Longest text allowed (JSON Schema maxLength).")

    def json_schema(self) -> dict[str, Any]:
        """The column's rules as a JSON Schema fragment (what seeded values must satisfy)."""
        out: dict[str, Any] = {}
        if self.pattern:
            out["pattern"] = self.pattern
        if self.min_length is not None:
            out["minLength"] = self.min_length
        if self.max_length is not None:
            out["maxLength"] = self.max_length
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.format in ("date", "date-time", "time", "email", "uri", "uuid", "ipv4"):
            out["format"] = self.format
        return out


class ForeignKey(_Model):
    columns: tuple[str, ...] = Field(description="Columns of this table.")
    ref_table: str = Field(description="Referenced table.")
    ref_columns: tuple[str, ...] = Field(description="Referenced key columns.")


class Table(_Model):
    name: str = Field(description="Table name (plural lower snake case).")
    columns: tuple[Column, ...] = Field(description="Columns in order.")
    primary_key: tuple[str, ...] = Field(description="Primary-key columns (every table has one).")
    foreign_keys: tuple[ForeignKey, ...] = Field(
        (), description="Foreign keys (checked by programs and contracts)."
    )
    description: str = Field("", description="What the entity is.")

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


class SchemaModel(_Model):
    """Tables with typed columns, keys, enums and bounds."""

    tables: tuple[Table, ...] = Field(description="Tables, parents before children.")
    origin: Literal["rules", "llm", "imported"] = Field("rules", description="Who designed the schema.")

    @model_validator(mode="after")
    def _consistent(self) -> SchemaModel:
        names = [t.name for t in self.tables]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate table names: {names}")
        by_name = {t.name: t for t in self.tables}
        for t in self.tables:
            if not IDENT.match(t.name):
                raise ValueError(f"bad table name {t.name!r}")
            cols = [c.name for c in t.columns]
            if len(set(cols)) != len(cols):
                raise ValueError(f"{t.name}: duplicate columns {cols}")
            for c in cols:
                if not IDENT.match(c):
                    raise ValueError(f"{t.name}: bad column name {c!r}")
            if not t.primary_key or any(k not in cols for k in t.primary_key):
                raise ValueError(f"{t.name}: primary key {t.primary_key} must name its columns")
            for fk in t.foreign_keys:
                ref = by_name.get(fk.ref_table)
                if ref is None:
                    raise ValueError(f"{t.name}: foreign key to unknown table {fk.ref_table}")
                if any(c not in cols for c in fk.columns) or len(fk.columns) != len(fk.ref_columns):
                    raise ValueError(f"{t.name}: foreign key columns {fk.columns} invalid")
                if any(c not in ref.column_names for c in fk.ref_columns):
                    raise ValueError(f"{t.name}: foreign key refers to missing columns of {ref.name}")
        return self

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)

    def parents_first(self) -> list[Table]:
        """Tables ordered so every referenced table comes before its children (cycles broken by order)."""
        by_name = {t.name: t for t in self.tables}
        done: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in done or name in visiting:
                return
            visiting.add(name)
            for fk in by_name[name].foreign_keys:
                if fk.ref_table != name:
                    visit(fk.ref_table)
            visiting.discard(name)
            done.append(name)

        for t in self.tables:
            visit(t.name)
        return [by_name[n] for n in done]
