"""Built environments as the warehouse stores them: the one reader of the `environments` table.

Synthesis, validation, evaluation, serving and the flows all ask here, and all get the
same typed record (they used to read the table in five places with three shapes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from envscale.environments.manifest import EnvironmentManifest
from envscale.warehouse import Warehouse

EnvStatus = Literal["accepted", "rejected", "superseded"]


class StoredEnvironment(BaseModel):
    """One built environment: its manifest, its DuckDB file, its domain and status."""

    model_config = ConfigDict(frozen=True)

    env_id: str = Field(description="Content id of the built environment.")
    name: str = Field(
        description="Environment name (imported ones start with their dataset, e.g. tau-bench-)."
    )
    domain: str = Field(description="Name of the domain it was built for (its own name when it has none).")
    status: EnvStatus = Field(description="accepted | rejected | superseded (docs/ARCHITECTURE.md).")
    path: Path = Field(description="The environment's DuckDB file.")
    manifest: EnvironmentManifest = Field(description="Tools, schema, programs and seed of the environment.")

    @property
    def folder(self) -> Path:
        """The folder holding the DuckDB file (what the runtime loads from)."""
        return self.path.parent


_SELECT = (
    "SELECT e.env_id, e.name, coalesce(d.name, e.name), e.status, e.path, e.manifest FROM environments e"
    " LEFT JOIN domains d ON d.domain_id = e.domain_id"
)


def stored_environments(
    wh: Warehouse,
    *,
    env_ids: list[str] | None = None,
    status: EnvStatus | None = "accepted",
    read_only: bool = False,
) -> list[StoredEnvironment]:
    """Environments by env_id order: all with ``status`` (None: any), or only ``env_ids`` among them."""
    where, params = [], []
    if status is not None:
        where.append("e.status = ?")
        params.append(status)
    if env_ids is not None:
        if not env_ids:
            return []
        where.append("e.env_id IN (SELECT unnest(?))")
        params.append(list(env_ids))
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY e.env_id"
    with wh.connect(read_only=read_only) as con:
        rows = con.execute(sql, params).fetchall()
    return [
        StoredEnvironment(
            env_id=env_id, name=name, domain=domain, status=st, path=Path(path), manifest=_manifest(manifest)
        )
        for env_id, name, domain, st, path, manifest in rows
    ]


def environment_names(wh: Warehouse) -> list[tuple[str, str]]:
    """(env_id, name) of every environment, whatever its status (for resolving --env)."""
    with wh.connect() as con:
        return [
            (e, n) for e, n in con.execute("SELECT env_id, name FROM environments ORDER BY env_id").fetchall()
        ]


def accepted_env_ids(wh: Warehouse) -> list[str]:
    with wh.connect() as con:
        rows = con.execute(
            "SELECT env_id FROM environments WHERE status = 'accepted' ORDER BY env_id"
        ).fetchall()
    return [r[0] for r in rows]


def _manifest(value: Any) -> EnvironmentManifest:
    return EnvironmentManifest.model_validate(json.loads(value) if isinstance(value, str) else value)
