"""Seeded, diverse initial rows that respect types, keys, foreign keys, enums and bounds.

Deterministic per seed: one ``random.Random`` and a Faker instance reseeded
from it drive every value, tables are filled parents first so foreign keys
always point at existing rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import threading
from typing import Any

from envscale.environments.schema.model import Column, SchemaModel, Table
from envscale.environments.schema.naming import singular
from envscale.environments.values import (
    business_time,
    described_example,
    kind_of,
    number_for,
    order_ranges,
    semantic_text,
    value_for,
)

# Dates are drawn around a fixed day (the runtime's default clock), never around
# today: the same env_id must always hold the same rows.
SEED_DAY = _TODAY = dt.datetime(2024, 5, 15, 15, 0, 0)
_YEAR = dt.timedelta(days=365)

_LOCAL = threading.local()


def _faker():
    fake = getattr(_LOCAL, "faker", None)
    if fake is None:
        from faker import Faker

        fake = Faker("en_US")
        _LOCAL.faker = fake
    return fake


def seed_rows(schema: SchemaModel, rows_per_table: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    """``rows_per_table`` rows per table (fewer for a composite-key table whose parents cannot make that
    many distinct keys)."""
    rng = random.Random(seed)
    fake = _faker()
    fake.seed_instance(seed)
    out: dict[str, list[dict[str, Any]]] = {}
    for table in schema.parents_first():
        out[table.name] = _table_rows(table, rows_per_table, rng, fake, out, schema)
    return out


def _table_rows(
    table: Table, n: int, rng: random.Random, fake, done: dict, schema: SchemaModel
) -> list[dict[str, Any]]:
    refs = {
        fk.columns[0]: (fk.ref_table, fk.ref_columns[0]) for fk in table.foreign_keys if len(fk.columns) == 1
    }
    composite = len(table.primary_key) > 1
    # Composite keys: distinct tuples drawn up front (random parts would repeat a key).
    keys = _composite_keys(table, n, rng, fake, done, refs) if composite else _keys(table, n, rng)
    n = len(keys)
    rows = []
    for i in range(n):
        row: dict[str, Any] = {}
        for col in table.columns:
            if composite and col.name in table.primary_key:
                row[col.name] = keys[i][table.primary_key.index(col.name)]
            elif not composite and col.name == table.primary_key[0]:
                row[col.name] = keys[i]
            elif col.name in refs:
                parent_table, parent_col = refs[col.name]
                parents = done.get(parent_table) or []
                row[col.name] = rng.choice(parents)[parent_col] if parents else None
            else:
                row[col.name] = fake_value(_named_for(col, table), rng, fake)
        # Ranges in order (check-out after check-in); the key and references are never range ends.
        fixed = {k: v for k, v in row.items() if k not in refs and k not in table.primary_key}
        order_ranges(fixed, rng, {c.name: _column_schema(c) for c in table.columns})
        row.update(fixed)
        rows.append(row)
    return rows


def _keys(table: Table, n: int, rng: random.Random) -> list[Any]:
    pk = table.column(table.primary_key[0])
    if pk.enum:  # the tools name their keys from a fixed set: those are the rows
        return list(dict.fromkeys(pk.enum))[:n]
    if pk.type == "BIGINT":
        start = rng.randint(1, 900) * 10
        return [start + i for i in range(n)]
    prefix = "".join(w[:3] for w in table.name.split("_"))[:6] or "id"
    seen: set[str] = set()
    out = []
    if pk.pattern or pk.min_length or pk.max_length is not None:
        # Keys the tools' own schemas accept (an order id matching '^#W[0-9]{7}$'), distinct.
        for _ in range(50 * n + 50):
            if len(out) >= n:
                return out
            key = value_for(pk.name, _column_schema(pk), rng)
            if isinstance(key, str) and key and key not in seen:
                seen.add(key)
                out.append(key)
    while len(out) < n:
        key = f"{prefix}_{rng.randrange(16**6):06x}"
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out


def _composite_keys(
    table: Table, n: int, rng: random.Random, fake, done: dict, refs: dict[str, tuple[str, str]]
) -> list[tuple]:
    """Up to ``n`` distinct primary-key tuples: foreign-key parts from the parents, others fresh values."""
    pools: list[list[Any] | None] = []
    for name in table.primary_key:
        if name in refs:
            parent_table, parent_col = refs[name]
            pool = [r[parent_col] for r in done.get(parent_table) or [] if r[parent_col] is not None]
            pools.append(list(dict.fromkeys(pool)))
        else:
            pools.append(None)
    if any(p == [] for p in pools):
        return []  # a key part has no parent to point at
    if all(p is not None for p in pools):
        total = math.prod(len(p) for p in pools)  # type: ignore[arg-type]
        n = min(n, total)
        if total <= 4 * n:  # dense: sample the full product without replacement
            return rng.sample(list(itertools.product(*pools)), n)  # type: ignore[arg-type]
    columns = [table.column(name) for name in table.primary_key]
    seen: set[tuple] = set()
    out: list[tuple] = []
    for _ in range(20 * n + 100):
        if len(out) >= n:
            break
        key = tuple(
            rng.choice(pool) if pool is not None else fake_value(col, rng, fake)
            for pool, col in zip(pools, columns, strict=True)
        )
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out


def uniform_cents(rng: random.Random, lo: float, hi: float) -> float:
    """A uniform draw in [lo, hi], to the cent unless rounding would cross a bound.

    Exclusive bounds sit a hair inside (``number_bounds``): rounding must not push past them.
    """
    value = rng.uniform(lo, hi)
    return round(value, 2) if lo <= round(value, 2) <= hi else value


_STATUS = ("active", "pending", "completed", "cancelled", "on_hold")


def fake_value(col: Column, rng: random.Random, fake) -> Any:
    """One plausible value for a column: enum members, numbers within bounds, Faker text by semantic hint."""
    if col.enum:
        return rng.choice(list(col.enum))
    t = col.type
    name = col.name
    if t == "BOOLEAN":
        return rng.random() < 0.5
    if t in ("BIGINT", "DOUBLE"):
        # The same draw as an argument's (a year is 2015–2026, a page 1–5), inside the column's bounds.
        return number_for(name, _column_schema(col), rng, integer=t == "BIGINT")
    if t == "JSON":
        return "[]" if name.endswith("s") else "{}"
    if t == "DATE":
        return fake.date_between(
            start_date=(_TODAY - 2 * _YEAR).date(), end_date=(_TODAY + _YEAR).date()
        ).isoformat()
    if t == "TIMESTAMP":
        return fake.date_time_between(start_date=_TODAY - 2 * _YEAR, end_date=_TODAY).isoformat(
            sep=" ", timespec="seconds"
        )
    hint = col.format or ""
    if col.pattern or col.min_length or col.max_length is not None:
        return value_for(col.name, _column_schema(col), rng)
    if hint == "time":
        return business_time(rng)
    if hint not in ("ref", "key", "status"):
        text = semantic_text(col.name, rng)
        if text is not None:
            return text
    generators = {
        "email": fake.email,
        "first_name": fake.first_name,
        "last_name": fake.last_name,
        "phone": fake.phone_number,
        "city": fake.city,
        "country": fake.country,
        "state": fake.state_abbr,
        "zip": fake.postcode,
        "address": fake.street_address,
        "url": fake.url,
        "uri": fake.url,
        "name": fake.name,
        "title": fake.catch_phrase,
        "text": fake.sentence,
        "currency": fake.currency_code,
        "company": fake.company,
        "color": fake.color_name,
        "date": lambda: fake.date_between(
            start_date=(_TODAY - _YEAR).date(), end_date=(_TODAY + _YEAR).date()
        ).isoformat(),
        "date-time": lambda: fake.date_time_between(start_date=_TODAY - _YEAR, end_date=_TODAY).isoformat(
            timespec="seconds"
        ),
        "time": lambda: fake.time(pattern="%H:%M", end_datetime=_TODAY),
        "status": lambda: rng.choice(_STATUS),
        "money": lambda: f"{rng.uniform(1, 500):.2f}",
        "uuid": fake.uuid4,
        "ipv4": fake.ipv4,
    }
    gen = generators.get(hint)
    if gen is not None:
        return str(gen())
    example = described_example(col.description, rng)
    if example is not None:
        return example
    return fake.word() + ("" if rng.random() < 0.5 else f" {fake.word()}")


def _named_for(col: Column, table: Table) -> Column:
    """A bare 'name' column as its table's kind of name: a country's name is a country, a team's a team."""
    if col.name != "name" or col.format not in (None, "name"):
        return col
    owner = singular(table.name.rsplit("_", 1)[-1])
    return col.model_copy(update={"name": f"{owner}_name"}) if kind_of(f"{owner}_name") != "name" else col


def _column_schema(col: Column) -> dict[str, Any]:
    typ = {"BIGINT": "integer", "DOUBLE": "number", "BOOLEAN": "boolean"}.get(col.type, "string")
    return {"type": typ, **col.json_schema()}
