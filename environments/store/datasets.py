"""Training exports as the warehouse stores them: the `datasets` table and what an export reads.

The export (models/dataset_export) reads the environments it may split and the accepted
trajectories, and records one row per split; evaluation and RL read which environments
earlier exports held out and trained on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from envscale.warehouse import Warehouse

SplitName = Literal["stage1", "stage2", "heldout"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class EnvInfo(_Record):
    """What the vertical selectors match against."""

    env_id: str = Field(description="Environment id.")
    name: str = Field(
        description="Environment name (imported ones carry their source name, e.g. tau-bench-retail)."
    )
    origin: str = Field(description="generated | imported.")
    domain_id: str | None = Field(None, description="Domain the environment was built from.")
    domain_name: str | None = Field(None, description="That domain's name.")
    tags: tuple[str, ...] = Field((), description="That domain's tags.")
    status: str = Field(
        "accepted", description="accepted, or superseded by a later build (still exportable)."
    )


class AcceptedTrajectory(_Record):
    """One trajectory validation accepted, as stored (JSON text, parsed by the export)."""

    trajectory_id: str = Field(description="Trajectory id.")
    env_id: str = Field(description="Environment it was played in.")
    messages: str = Field(description="The conversation, JSON text.")
    tools: str | None = Field(description="The tool schemas offered, JSON text.")


class DatasetRecord(_Record):
    """One exported split's `datasets` row."""

    dataset_id: str = Field(description="Digest of the split name, its environments and rows.")
    name: str = Field(description="envscale-<split>.")
    split: SplitName = Field(description="stage1, stage2 or heldout.")
    path: str = Field(description="Parquet file.")
    n_rows: int = Field(description="Trajectories exported.")
    env_ids: tuple[str, ...] = Field(description="Environments whose trajectories it may hold.")
    lineage_hash: str = Field(description="Digest of the split assignment.")
    run_id: str | None = Field(description="The export's run.")
    split_key: str | None = Field(description="Split family (seed + held-out fraction).")


@dataclass(frozen=True)
class SplitHistory:
    """What earlier training exports of one split family held out and trained on (``datasets`` rows)."""

    heldout: frozenset[str] = frozenset()
    trained: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HeldoutRecord:
    """The newest export's held-out environments and its split family."""

    env_ids: tuple[str, ...]
    split_key: str | None


# -- reads -------------------------------------------------------------------
def split_history(wh: Warehouse, split_key: str | None) -> SplitHistory:
    """Union of the env lists of every export with this ``split_key`` (None: rows from before keys)."""
    with wh.connect() as con:
        rows = con.execute(
            "SELECT split, env_ids FROM datasets WHERE split_key IS NOT DISTINCT FROM ?", [split_key]
        ).fetchall()
    ids: dict[str, set[str]] = {"heldout": set(), "trained": set()}
    for split, env_ids in rows:
        ids["heldout" if split == "heldout" else "trained"].update(json.loads(env_ids))
    return SplitHistory(frozenset(ids["heldout"]), frozenset(ids["trained"]))


def latest_heldout(wh: Warehouse) -> HeldoutRecord | None:
    """The newest held-out row (None before any export)."""
    with wh.connect() as con:
        row = con.execute(
            "SELECT env_ids, split_key FROM datasets WHERE split = 'heldout' ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    return None if row is None else HeldoutRecord(tuple(json.loads(row[0])), row[1])


def trained_env_ids(wh: Warehouse) -> frozenset[str]:
    """Every environment any training split (stage1, stage2) of any export used."""
    with wh.connect() as con:
        rows = con.execute("SELECT env_ids FROM datasets WHERE split IN ('stage1', 'stage2')").fetchall()
    return frozenset(e for (ids,) in rows for e in json.loads(ids))


def export_environments(wh: Warehouse) -> list[EnvInfo]:
    """Accepted environments plus any environment that has accepted trajectories."""
    with wh.connect(read_only=False) as con:
        rows = con.execute(
            """
            WITH envs AS (
                SELECT env_id FROM environments WHERE status = 'accepted'
                UNION
                SELECT t.env_id FROM trajectories t JOIN validations v USING (trajectory_id)
                WHERE v.verdict = 'accepted'
            )
            SELECT envs.env_id, e.name, e.origin, e.domain_id, d.name, d.tags, e.status
            FROM envs LEFT JOIN environments e USING (env_id) LEFT JOIN domains d ON d.domain_id = e.domain_id
            ORDER BY envs.env_id
            """
        ).fetchall()
    return [
        EnvInfo(
            env_id=env_id,
            name=name or env_id,
            origin=origin or "generated",
            domain_id=domain_id,
            domain_name=domain_name,
            tags=tuple(json.loads(tags)) if tags else (),
            status=status or "accepted",
        )
        for env_id, name, origin, domain_id, domain_name, tags, status in rows
    ]


def accepted_trajectories(wh: Warehouse) -> list[AcceptedTrajectory]:
    """Trajectories with an accepted verdict, by trajectory id."""
    with wh.connect(read_only=False) as con:
        rows = con.execute(
            "SELECT t.trajectory_id, t.env_id, t.messages, t.tools FROM trajectories t"
            " JOIN validations v USING (trajectory_id) WHERE v.verdict = 'accepted' ORDER BY t.trajectory_id"
        ).fetchall()
    return [
        AcceptedTrajectory(trajectory_id=tid, env_id=env_id, messages=messages, tools=tools)
        for tid, env_id, messages, tools in rows
    ]


# -- writes ------------------------------------------------------------------
def record_exports(wh: Warehouse, records: list[DatasetRecord], run_id: str | None) -> None:
    """Register the exported splits; re-exporting an earlier split makes it the latest again
    (evaluation reads the newest held-out row)."""
    if not records:
        return
    rows = [r.model_dump(mode="json") for r in records]
    with wh.transaction() as con:
        wh.insert("datasets", rows, on_conflict="ignore", con=con)
        con.execute(
            "UPDATE datasets SET created_at = current_timestamp, run_id = coalesce(?, run_id)"
            f" WHERE dataset_id IN ({','.join('?' * len(rows))})",
            [run_id, *(r["dataset_id"] for r in rows)],
        )
