"""The post-replay state in the environment-table suite's frame layout.

The suite (``data_contracts.environment_tables``) checks keys complete, keys
unique, foreign keys resolve. The initial state passed it when the
environment was built, and a replay changes only the rows in its diff, so the
post-replay state is checked on exactly the rows a replay can have broken: the
rows it inserted or updated, and the rows that referenced rows it deleted or
re-keyed. ``env_id`` is ``<env_id>@<trajectory_id>`` so uniqueness holds per
post-replay state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from envscale.environments.schema.model import ForeignKey, SchemaModel
from envscale.environments.validation.records import StateChangeRecord
from envscale.hashing import canonical_json

if TYPE_CHECKING:
    import pandas as pd

    from envscale.environments.runtime.loaded import LoadedEnvironment

COLUMNS = ["env_id", "table", "key", "key_complete", "refs_resolve", "trajectory_id"]


class _PostState:
    """Base rows of a loaded environment with one replay's changes laid over them."""

    def __init__(self, loaded: LoadedEnvironment, schema: SchemaModel, record: StateChangeRecord) -> None:
        self.loaded = loaded
        self.schema = schema
        self.overlay: dict[str, dict[tuple, dict[str, Any] | None]] = {}
        for change in record.changes:
            table = schema.table(change["table"])
            key = tuple(change["key"].get(k) for k in table.primary_key)
            self.overlay.setdefault(table.name, {})[key] = change.get("after")

    def row(self, table: str, key: tuple) -> dict[str, Any] | None:
        over = self.overlay.get(table, {})
        if key in over:
            return over[key]
        base = self.loaded.base.get(table, {}).get(key)
        return None if base is None else dict(zip(self.loaded.columns[table], base, strict=True))

    def rows(self, table: str) -> Iterable[tuple[tuple, dict[str, Any]]]:
        over = self.overlay.get(table, {})
        names = self.loaded.columns[table]
        for key, base in self.loaded.base.get(table, {}).items():
            if key not in over:
                yield key, dict(zip(names, base, strict=True))
        for key, after in over.items():
            if after is not None:
                yield key, after

    def resolves(self, fk: ForeignKey, row: dict[str, Any]) -> bool:
        values = tuple(row.get(c) for c in fk.columns)
        if any(v is None for v in values):
            return True
        ref = self.schema.table(fk.ref_table)
        if tuple(fk.ref_columns) == tuple(ref.primary_key):
            return self.row(ref.name, values) is not None
        return any(tuple(r.get(c) for c in fk.ref_columns) == values for _, r in self.rows(ref.name))


def post_state_rows(
    loaded: LoadedEnvironment, schema: SchemaModel, record: StateChangeRecord
) -> list[dict[str, Any]]:
    """Frame rows for the rows one replay may have broken."""
    state = _PostState(loaded, schema, record)
    subject = f"{record.env_id}@{record.trajectory_id}"
    out: dict[tuple[str, tuple], dict[str, Any]] = {}

    def emit(table: str, key: tuple, row: dict[str, Any]) -> None:
        fks = schema.table(table).foreign_keys
        out[(table, key)] = {
            "env_id": subject,
            "table": table,
            "key": canonical_json(list(key)),
            "key_complete": all(v is not None for v in key),
            "refs_resolve": all(state.resolves(fk, row) for fk in fks),
            "trajectory_id": record.trajectory_id,
        }

    for change in record.changes:
        table = schema.table(change["table"])
        key = tuple(change["key"].get(k) for k in table.primary_key)
        after = change.get("after")
        if after is not None:
            emit(table.name, key, after)
        before = change.get("before")
        if before is None:
            continue
        # Rows that referenced the old values of this row (deleted, or its referenced columns changed).
        for child in schema.tables:
            for fk in child.foreign_keys:
                if fk.ref_table != table.name:
                    continue
                old = tuple(before.get(c) for c in fk.ref_columns)
                if after is not None and tuple(after.get(c) for c in fk.ref_columns) == old:
                    continue
                for child_key, child_row in state.rows(child.name):
                    if (
                        tuple(child_row.get(c) for c in fk.columns) == old
                        and (child.name, child_key) not in out
                    ):
                        emit(child.name, child_key, child_row)
    return list(out.values())


def post_state_frame(
    items: Iterable[tuple[LoadedEnvironment, SchemaModel, StateChangeRecord]],
) -> pd.DataFrame:
    import pandas as pd

    rows = [r for loaded, schema, record in items for r in post_state_rows(loaded, schema, record)]
    return pd.DataFrame(rows, columns=COLUMNS)
