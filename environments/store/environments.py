"""Built environments as the warehouse stores them: the `environments`, `domains` and
`environment_tools` tables.

Synthesis, validation, evaluation, serving and the flows read here and all get the same
typed record (they used to read the table in five places with three shapes); the build
registers its results here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from envscale.environments.build_records import BuildOutcome, Registered
from envscale.environments.manifest import EnvironmentManifest
from envscale.warehouse import Warehouse, utc_now

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


# -- the build's writes ------------------------------------------------------
def register_build(
    wh: Warehouse, outcomes: Sequence[BuildOutcome], run_id: str, lineage_hash: str
) -> Registered:
    """Domains, environments and per-tool outcomes of one build, in one transaction (reruns replace).

    ``outcomes`` are the build's per-domain and per-import outcomes (``BuildOutcome``: a built
    environment or an error). They are the current set of generated environments: an accepted
    generated environment they do not contain is marked ``superseded`` in the same transaction
    (``_supersede_previous``), so synthesis and evaluation stop using it.
    """
    domain_rows = [
        o.domain.warehouse_row(run_id=run_id, lineage_hash=lineage_hash, build_error=o.error)
        for o in outcomes
        if o.domain is not None and o.domain.domain_id
    ]
    built = [o for o in outcomes if o.manifest is not None]
    env_rows = [_environment_row(o, run_id, lineage_hash) for o in built]
    tool_rows = [row for o in built for row in _tool_rows(o.manifest, run_id)]
    failed_domains = [
        o.domain.domain_id
        for o in outcomes
        if o.error is not None and o.domain is not None and o.domain.domain_id
    ]
    built_any = any(r["status"] == "accepted" and r["origin"] == "generated" for r in env_rows)
    with wh.transaction() as con:
        wh.insert("domains", domain_rows, on_conflict="replace", con=con)
        wh.insert("environments", env_rows, on_conflict="replace", con=con)
        wh.insert("environment_tools", _dedupe(tool_rows), on_conflict="replace", con=con)
        superseded = (
            _supersede_previous(con, [r["env_id"] for r in env_rows], failed_domains, run_id)
            if built_any
            else []
        )
    return Registered(
        domains=len(domain_rows), environments=len(env_rows), tools=len(tool_rows), superseded=len(superseded)
    )


def _environment_row(outcome: BuildOutcome, run_id: str, lineage_hash: str) -> dict[str, Any]:
    m = outcome.manifest
    if m is None:
        raise ValueError(f"{outcome.name}: an outcome without an environment has no environments row")
    report = {
        "selftest": m.selftest.model_dump(mode="json") if m.selftest else None,
        "dropped": [x.model_dump(mode="json") for x in m.dropped],
        "seconds": round(outcome.seconds, 3),
    }
    return _row(m, outcome.path, "accepted" if outcome.accepted else "rejected", report, lineage_hash, run_id)


def _row(
    m: EnvironmentManifest,
    path: str,
    status: EnvStatus,
    report: dict[str, Any],
    lineage_hash: str,
    run_id: str | None,
) -> dict[str, Any]:
    return {
        "env_id": m.env_id,
        "domain_id": m.domain_id,
        "name": m.name,
        "origin": m.origin,
        "path": path,
        "manifest": m.model_dump(mode="json"),
        "status": status,
        "report": report,
        "n_tools": len(m.tools),
        "lineage_hash": lineage_hash,
        "run_id": run_id,
    }


def add_environment(wh: Warehouse, manifest: EnvironmentManifest, path: Path, *, lineage_hash: str) -> None:
    """One accepted environment outside a build (the sample environment); an existing env_id is kept."""
    wh.insert("environments", [_row(manifest, str(path), "accepted", {}, lineage_hash, None)])


def _tool_rows(m: EnvironmentManifest, run_id: str) -> list[dict[str, Any]]:
    """Working tools, then the ones the build dropped (with the stage and reason)."""
    working = [
        {"env_id": m.env_id, "name": t.name, "kind": t.kind, "writes": list(t.writes), "working": True}
        | {"stage": None, "reason": None, "run_id": run_id}
        for t in m.tools
    ]
    dropped = [
        {"env_id": m.env_id, "name": x.name, "kind": None, "writes": None, "working": False}
        | {"stage": x.stage, "reason": x.reason, "run_id": run_id}
        for x in m.dropped
    ]
    return working + dropped


def _supersede_previous(con: Any, current: list[str], failed_domains: list[str], run_id: str) -> list[str]:
    """Mark accepted generated environments outside ``current`` as ``superseded``; their env_ids.

    Nothing is deleted: the row, its DuckDB file, blueprints, tasks and trajectories stay
    (a trajectory remains valid for its own environment, so validated data of a superseded
    environment is still exported for training). Only status and ``report.superseded_by``
    change. Imported environments (τ-bench) are never superseded by a generated build, and
    an environment whose domain this build failed to build (an error, not a verdict) keeps
    its status. Idempotent: a rerun of the same build finds nothing left to supersede, and
    a later build that yields a superseded env_id again makes it ``accepted`` (row replaced).
    """
    patch = json.dumps({"superseded_by": run_id, "superseded_at": utc_now().isoformat(timespec="seconds")})
    rows = con.execute(
        "UPDATE environments SET status = 'superseded',"
        " report = json_merge_patch(coalesce(report, '{}'::JSON), ?::JSON)"
        " WHERE status = 'accepted' AND origin = 'generated'"
        " AND NOT list_contains(?::VARCHAR[], env_id)"
        " AND (domain_id IS NULL OR NOT list_contains(?::VARCHAR[], domain_id))"
        " RETURNING env_id",
        [patch, current, failed_domains],
    ).fetchall()
    return sorted(r[0] for r in rows)


def _dedupe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        seen.setdefault((r["env_id"], r["name"]), r)
    return list(seen.values())
