"""Validation's warehouse I/O: what needs validating, its inputs, and the verdicts.

A trajectory needs validation when it has no verdict yet, or when the lineage
of its verdict (trajectory content, blueprint gold state, validation settings,
validator version) changed; re-validating unchanged trajectories adds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.store.environments import stored_environments
from envscale.environments.synthesis.records import Blueprint, Trajectory
from envscale.environments.validation.records import Outcome, Verdict
from envscale.hashing import content_hash
from envscale.warehouse import Warehouse, dict_rows

# Bump when a change to the validator should re-judge every trajectory.
VALIDATOR_VERSION = 1


@dataclass(frozen=True)
class Pending:
    trajectory_id: str
    env_id: str
    lineage_hash: str


@dataclass(frozen=True)
class LoadedEnv:
    manifest: EnvironmentManifest
    db_path: Path
    domain: str


def pending_trajectories(
    warehouse: Warehouse, settings: dict[str, Any], *, env_ids: Sequence[str] = ()
) -> tuple[list[Pending], int]:
    """Trajectories whose verdict is missing or stale, and how many are already up to date."""
    sql = (
        "SELECT t.trajectory_id, t.env_id, t.lineage_hash, md5(CAST(t.messages AS VARCHAR)),"
        " b.gold_state_hash, b.read_only, v.lineage_hash"
        " FROM trajectories t LEFT JOIN blueprints b USING (blueprint_id)"
        " LEFT JOIN validations v USING (trajectory_id)"
    )
    params: list[Any] = []
    if env_ids:
        sql += " WHERE t.env_id IN (SELECT unnest(?))"
        params.append(list(env_ids))
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(sql + " ORDER BY t.trajectory_id", params).fetchall()
    pending, current = [], 0
    config = content_hash(settings)
    for tid, env_id, t_lineage, messages, gold, read_only, validated in rows:
        lineage = content_hash([VALIDATOR_VERSION, config, tid, t_lineage, messages, gold, read_only])
        if lineage == validated:
            current += 1
        else:
            pending.append(Pending(tid, env_id, lineage))
    return pending, current


def load_inputs(
    warehouse: Warehouse, trajectory_ids: Sequence[str]
) -> tuple[list[Trajectory], dict[str, Blueprint], dict[str, LoadedEnv]]:
    """The trajectories, their blueprints and their environments' manifests."""
    with warehouse.connect(read_only=True) as con:
        cur = con.execute(
            "SELECT * FROM trajectories WHERE trajectory_id IN (SELECT unnest(?)) ORDER BY trajectory_id",
            [list(trajectory_ids)],
        )
        t_rows = dict_rows(cur)
        cur = con.execute(
            "SELECT * FROM blueprints WHERE blueprint_id IN (SELECT DISTINCT blueprint_id FROM trajectories"
            " WHERE trajectory_id IN (SELECT unnest(?)))",
            [list(trajectory_ids)],
        )
        b_rows = dict_rows(cur)
        env_ids = sorted({r["env_id"] for r in t_rows})
    trajectories = [_trajectory(r) for r in t_rows]
    blueprints = {r["blueprint_id"]: Blueprint.from_row(r) for r in b_rows}
    envs = {
        e.env_id: LoadedEnv(e.manifest, e.path, e.domain)
        for e in stored_environments(warehouse, env_ids=env_ids, status=None, read_only=True)
    }
    return trajectories, blueprints, envs


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _trajectory(row: dict[str, Any]) -> Trajectory:
    fields = set(Trajectory.model_fields)
    data = {
        k: _json(v) if k in ("messages", "tools", "usage", "timings", "issues") else v for k, v in row.items()
    }
    data = {k: v for k, v in data.items() if k in fields and v is not None}
    return Trajectory.model_validate(data)


def verdict_rows(
    outcomes: Iterable[Outcome], verdicts: dict[str, Verdict], lineage: dict[str, str], run_id: str
) -> list[dict[str, Any]]:
    """``validations`` rows: the final verdict (after contracts) and the funnel flags."""
    rows = []
    for o in outcomes:
        v = verdicts.get(o.trajectory_id, o.verdict)
        rows.append(
            {
                "trajectory_id": o.trajectory_id,
                "verdict": v.verdict,
                "stage": v.stage,
                "reason_code": v.reason_code,
                "evidence": v.evidence,
                "state_changes": list(o.state.changes) if o.state is not None else None,
                "lineage_hash": lineage[o.trajectory_id],
                "run_id": run_id,
                "env_id": o.env_id,
                "passed_validity": o.valid,
                "passed_alignment": o.aligned,
                "passed_exact_match": o.exact,
                "accepted_for_export": v.verdict == "accepted",
            }
        )
    return rows


def store_verdicts(warehouse: Warehouse, rows: list[dict[str, Any]]) -> int:
    """Write (or replace stale) verdicts in one transaction."""
    return warehouse.insert("validations", rows, on_conflict="replace")


def funnel_records(warehouse: Warehouse) -> list[dict[str, Any]]:
    """One record per synthesized trajectory: its domain and current verdict flags."""
    return warehouse.rows(
        "SELECT coalesce(d.name, e.name, t.env_id) AS domain, v.verdict, v.passed_validity,"
        " v.passed_alignment, v.passed_exact_match"
        " FROM trajectories t LEFT JOIN validations v USING (trajectory_id)"
        " LEFT JOIN environments e ON e.env_id = t.env_id LEFT JOIN domains d ON d.domain_id = e.domain_id"
    )
