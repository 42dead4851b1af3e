"""The frames the data contracts check: one row per changed cell, one row per trajectory.

State changes are laid out one row per (change, changed column) so that the
schema's numeric bounds and enums are checked by Great Expectations itself
(pair and set expectations), whatever table or environment a row comes from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from envscale.environments.schema.model import SchemaModel, Table
from envscale.environments.synthesis.records import Trajectory
from envscale.environments.validation.records import StateChangeRecord
from envscale.hashing import canonical_json

if TYPE_CHECKING:
    import pandas as pd

STATE_CHANGE_COLUMNS = (
    "trajectory_id",
    "env_id",
    "change",
    "table",
    "op",
    "key",
    "table_declared",
    "column",
    "column_known",
    "value_num",
    "minimum",
    "maximum",
    "enum_value",
)


def enum_cell(env_id: str, table: str, column: str, value: Any) -> str:
    """The text an enumerated cell is checked as: unique per environment, table and column."""
    return f"{env_id}/{table}.{column}={canonical_json(value)}"


def allowed_enum_cells(schemas: Mapping[str, SchemaModel]) -> list[str]:
    """Every (environment, table, column, value) the schemas' enums allow."""
    return sorted(
        enum_cell(env_id, t.name, c.name, v)
        for env_id, schema in schemas.items()
        for t in schema.tables
        for c in t.columns
        if c.enum
        for v in c.enum
    )


def state_change_frame(
    records: Iterable[StateChangeRecord], schemas: Mapping[str, SchemaModel]
) -> pd.DataFrame:
    """One row per changed cell (a delete is one row with no column)."""
    import pandas as pd

    cols: dict[str, list[Any]] = {c: [] for c in STATE_CHANGE_COLUMNS}
    tables: dict[tuple[str, str], Table | None] = {}
    nan = math.nan
    for record in records:
        schema = schemas.get(record.env_id)
        declared = set(record.declared_tables)
        for n, change in enumerate(record.changes):
            name = change["table"]
            table = tables.get((record.env_id, name), ...)
            if table is ...:
                table = _table(schema, name)
                tables[(record.env_id, name)] = table
            key = change.get("key") or {}
            key_text = canonical_json(key) if key and all(v is not None for v in key.values()) else None
            for column, value in _changed_cells(change):
                spec = None
                if table is not None and column is not None and column in table.column_names:
                    spec = table.column(column)
                bounded = spec is not None and (spec.minimum is not None or spec.maximum is not None)
                number = (
                    value
                    if bounded and isinstance(value, int | float) and not isinstance(value, bool)
                    else None
                )
                cols["trajectory_id"].append(record.trajectory_id)
                cols["env_id"].append(record.env_id)
                cols["change"].append(n)
                cols["table"].append(name)
                cols["op"].append(change.get("op"))
                cols["key"].append(key_text)
                cols["table_declared"].append(name in declared)
                cols["column"].append(column)
                cols["column_known"].append(table is not None and (column is None or spec is not None))
                cols["value_num"].append(float(number) if number is not None else nan)
                cols["minimum"].append(spec.minimum if bounded and spec.minimum is not None else nan)
                cols["maximum"].append(spec.maximum if bounded and spec.maximum is not None else nan)
                has_enum = spec is not None and spec.enum and value is not None
                cols["enum_value"].append(enum_cell(record.env_id, name, column, value) if has_enum else None)
    frame = pd.DataFrame(cols)
    for c in ("value_num", "minimum", "maximum"):
        frame[c] = frame[c].astype("float64")
    return frame


def _table(schema: SchemaModel | None, name: str) -> Table | None:
    if schema is None:
        return None
    try:
        return schema.table(name)
    except KeyError:
        return None


def _changed_cells(change: dict[str, Any]) -> list[tuple[str | None, Any]]:
    before = change.get("before") or {}
    after = change.get("after") or {}
    if change.get("op") == "insert":
        cells = list(after.items())
    elif change.get("op") == "update":
        cells = [(c, v) for c, v in after.items() if c not in before or before[c] != v]
        cells += [(c, None) for c in before if c not in after]
    else:
        cells = []
    return cells or [(None, None)]


TRAJECTORY_COLUMNS = (
    "trajectory_id",
    "env_id",
    "roles",
    "n_messages",
    "n_chars",
    "n_tool_calls",
    "n_tools",
    "prompt_tokens",
    "completion_tokens",
)


def trajectory_frame(trajectories: Sequence[Trajectory]) -> pd.DataFrame:
    """One row per trajectory: its role sequence, sizes, token counts and tool list size."""
    import pandas as pd

    rows = []
    for t in trajectories:
        roles = " ".join(str(m.get("role")) for m in t.messages)
        chars = sum(len(m["content"]) for m in t.messages if isinstance(m.get("content"), str))
        calls = sum(len(m.get("tool_calls") or []) for m in t.messages)
        rows.append(
            (
                t.trajectory_id,
                t.env_id,
                roles,
                len(t.messages),
                chars,
                calls,
                len(t.tools),
                t.usage.prompt_tokens,
                t.usage.completion_tokens,
            )
        )
    return pd.DataFrame.from_records(rows, columns=list(TRAJECTORY_COLUMNS))
