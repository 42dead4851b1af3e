"""The ``environment_tables`` suite: every table of every built environment keeps its keys.

One frame row per stored row (env, table, primary key): keys complete (no NULL
part), unique within their table, and every foreign key of the row resolves to
a row of the referenced table. Built by :func:`environment_keys_frame` with one
query per table, then validated in a single GE run however many environments.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envscale.hashing import canonical_json

if TYPE_CHECKING:
    import pandas as pd

    from envscale.environments.manifest import EnvironmentManifest

SUITE = "environment_tables"
COLUMNS = ["env_id", "table", "key", "key_complete", "refs_resolve"]


def environment_keys_frame(environments: Iterable[tuple[EnvironmentManifest, Path]]) -> pd.DataFrame:
    """Rows of (env_id, table, key JSON, key_complete, refs_resolve) for each (manifest, DuckDB file)."""
    import pandas as pd

    from envscale.environments import sandbox

    rows: list[dict[str, Any]] = []
    for manifest, path in environments:
        con = sandbox.connect(path, read_only=True)
        try:
            for table in manifest.db_schema.tables:
                pk = ", ".join(f't."{k}"' for k in table.primary_key)
                checks = [
                    "(" + " OR ".join(f't."{c}" IS NULL' for c in fk.columns) + " OR EXISTS (SELECT 1 FROM "
                    f'"{fk.ref_table}" p WHERE '
                    + " AND ".join(
                        f'p."{r}" = t."{c}"' for c, r in zip(fk.columns, fk.ref_columns, strict=True)
                    )
                    + "))"
                    for fk in table.foreign_keys
                ]
                ok = " AND ".join(checks) if checks else "TRUE"
                for values in con.execute(f'SELECT {pk}, {ok} FROM "{table.name}" t').fetchall():
                    key = list(values[:-1])
                    rows.append(
                        {
                            "env_id": manifest.env_id,
                            "table": table.name,
                            "key": canonical_json(key),
                            "key_complete": all(v is not None for v in key),
                            "refs_resolve": bool(values[-1]),
                        }
                    )
        finally:
            con.close()
    return pd.DataFrame(rows, columns=COLUMNS)


def expectations(gx: Any) -> list[Any]:
    e = gx.expectations
    return [
        e.ExpectColumnValuesToNotBeNull(column="key"),
        e.ExpectColumnValuesToBeInSet(column="key_complete", value_set=[True]),
        e.ExpectCompoundColumnsToBeUnique(column_list=["env_id", "table", "key"]),
        e.ExpectColumnValuesToBeInSet(column="refs_resolve", value_set=[True]),
    ]
