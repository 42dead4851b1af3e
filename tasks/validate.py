"""Prefect tasks of the validate stage, and the plain functions they wrap.

Stages 1-3 run per environment (mapped by the flow's task runner; workers
never write the warehouse). Contracts run once over the batch: the
trajectories suite on every validated trajectory, the state-changes suite on
the accepted ones' replayed changes; a failing row quarantines its trajectory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import task
from pydantic import BaseModel, ConfigDict, Field

from envscale.config import ValidateSettings
from envscale.environments.synthesis.records import Blueprint, Trajectory
from envscale.environments.validation.records import Outcome, Verdict
from envscale.environments.validation.store import LoadedEnv, Pending
from envscale.warehouse import Warehouse


def validate_stages(
    trajectories: Sequence[Trajectory],
    blueprints: Mapping[str, Blueprint],
    envs: Mapping[str, LoadedEnv],
    settings: ValidateSettings,
    stats: dict[str, int] | None = None,
) -> list[Outcome]:
    """Stages 1-3 for trajectories of any environments (grouped per environment).

    ``stats`` (optional) accumulates ``replays`` and ``memo_hits``.
    """
    from envscale.environments.runtime import open_episode
    from envscale.environments.validation.validator import EnvironmentValidator

    by_env: dict[str, list[Trajectory]] = {}
    for t in trajectories:
        by_env.setdefault(t.env_id, []).append(t)
    outcomes: list[Outcome] = []
    for env_id, items in by_env.items():
        env = envs.get(env_id)
        if env is None:
            for t in items:
                verdict = Verdict.reject(t.trajectory_id, "validity", "missing_environment", env_id=env_id)
                outcomes.append(
                    Outcome(
                        trajectory_id=t.trajectory_id,
                        env_id=env_id,
                        verdict=verdict,
                        valid=False,
                        aligned=False,
                        exact=False,
                    )
                )
            continue
        validator = EnvironmentValidator(
            env_id,
            env.manifest.tools,
            lambda env=env: open_episode(env.manifest, db_path=env.db_path),
            ngram_size=settings.ngram_size,
            max_repetition_ratio=settings.max_repetition_ratio,
            max_messages=settings.max_messages,
            max_chars=settings.max_chars,
            memo_size=settings.replay_memo,
        )
        outcomes.extend(validator.validate(t, blueprints.get(t.blueprint_id)) for t in items)
        if stats is not None:
            stats["replays"] = stats.get("replays", 0) + validator.replays
            stats["memo_hits"] = stats.get("memo_hits", 0) + validator.memo_hits
    return outcomes


@dataclass
class ContractsReport:
    """What the contracts did to a batch."""

    verdicts: dict[str, Verdict] = field(default_factory=dict)  # only the quarantined ones
    results: list[Any] = field(default_factory=list)  # ContractResult per suite run
    subjects: list[str] = field(default_factory=list)  # the subject of each result
    failing_rows: dict[str, int] = field(default_factory=dict)  # suite -> frame rows that failed

    @property
    def quarantined(self) -> int:
        return len(self.verdicts)


def run_contracts(
    outcomes: Sequence[Outcome],
    trajectories: Sequence[Trajectory],
    envs: Mapping[str, LoadedEnv],
    settings: ValidateSettings,
    docs_root: Path | None = None,
) -> ContractsReport:
    """Run the trajectories and state-changes suites; quarantine the accepted owners of failing rows."""
    from envscale.data_contracts import state_changes
    from envscale.data_contracts import trajectories as trajectories_contract
    from envscale.data_contracts.runner import run_contract
    from envscale.environments.validation.contract_frames import (
        allowed_enum_cells,
        state_change_frame,
        trajectory_frame,
    )
    from envscale.environments.validation.quarantine import quarantine

    report = ContractsReport()
    verdicts = {o.trajectory_id: o.verdict for o in outcomes}

    def docs(suite: str) -> Path | None:
        return docs_root / suite if docs_root is not None else None

    def apply(suite: str, frame: Any, result: Any) -> None:
        failing = state_changes.failing_rows(result)
        report.results.append(result)
        report.subjects.append("")
        report.failing_rows[suite] = len(failing)
        if not failing:
            return
        records = frame.iloc[sorted(failing)].to_dict(orient="records")
        rows = [
            (rec["trajectory_id"], failing[pos], _plain(rec))
            for pos, rec in zip(sorted(failing), records, strict=True)
        ]
        changed = quarantine(verdicts, suite, rows)
        verdicts.update(changed)
        report.verdicts.update(changed)

    frame = trajectory_frame(trajectories)
    if len(frame):
        suite_fn = trajectories_contract.trajectories_suite(
            max_messages=settings.max_messages,
            max_chars=settings.max_chars,
            max_usage_tokens=settings.max_usage_tokens,
        )
        apply(
            trajectories_contract.SUITE,
            frame,
            run_contract(trajectories_contract.SUITE, frame, suite_fn, docs(trajectories_contract.SUITE)),
        )

    records = [o.state for o in outcomes if o.state is not None and o.verdict.verdict == "accepted"]
    schemas = {env_id: env.manifest.db_schema for env_id, env in envs.items()}
    frame = state_change_frame(records, schemas)
    if len(frame):
        used = {env_id: schemas[env_id] for env_id in set(frame["env_id"]) if env_id in schemas}
        suite_fn = state_changes.state_changes_suite(allowed_enum_cells(used))
        apply(
            state_changes.SUITE,
            frame,
            run_contract(state_changes.SUITE, frame, suite_fn, docs(state_changes.SUITE)),
        )

    # The environment-table suite on the post-replay states (the rows each replay may have broken).
    from envscale.data_contracts import environment_tables
    from envscale.environments.runtime import load_environment
    from envscale.environments.validation.post_state import post_state_frame

    changed = [r for r in records if r.changes and r.env_id in envs]
    loaded = {
        e: load_environment(envs[e].manifest, db_path=envs[e].db_path) for e in {r.env_id for r in changed}
    }
    frame = post_state_frame((loaded[r.env_id], schemas[r.env_id], r) for r in changed)
    if len(frame):
        suite = environment_tables.SUITE
        apply(suite, frame, run_contract(suite, frame, environment_tables.expectations, docs(suite)))
    return report


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """A frame row as JSON-ready evidence (NaN → None)."""
    out = {}
    for k, v in record.items():
        if isinstance(v, float) and v != v:
            v = None
        elif hasattr(v, "item"):
            v = v.item()
        out[k] = v
    return out


# -- Prefect tasks ---------------------------------------------------------------------------------
class ChunkOutcomes(BaseModel):
    """What stages 1-3 returned for one chunk of environments (a mapped task's result)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcomes: tuple[Outcome, ...] = Field(description="One per trajectory of the chunk.")
    replays: int = Field(0, description="Gold and agent call sequences replayed on the environment.")
    memo_hits: int = Field(0, description="Replays answered from the replay memo instead.")


@task(name="find-pending-trajectories")
def pending_task(
    warehouse: Warehouse, settings: ValidateSettings, env_ids: Sequence[str] = ()
) -> tuple[list[Pending], int]:
    from envscale.environments.validation.store import pending_trajectories

    return pending_trajectories(warehouse, settings.model_dump(mode="json"), env_ids=env_ids)


@task(name="load-validation-inputs")
def load_task(
    warehouse: Warehouse, trajectory_ids: Sequence[str]
) -> tuple[list[Trajectory], dict[str, Blueprint], dict[str, LoadedEnv]]:
    from envscale.environments.validation.store import load_inputs

    return load_inputs(warehouse, trajectory_ids)


@task(name="validate-stages", task_run_name="validate-{label}")
def stages_task(
    trajectories: Sequence[Trajectory],
    blueprints: Mapping[str, Blueprint],
    envs: Mapping[str, LoadedEnv],
    settings: ValidateSettings,
    label: str = "batch",
) -> ChunkOutcomes:
    """Stages 1-3 for one chunk of environments; the outcomes and replay counts."""
    stats: dict[str, int] = {}
    outcomes = validate_stages(trajectories, blueprints, envs, settings, stats)
    return ChunkOutcomes(outcomes=tuple(outcomes), **stats)


@task(name="run-contracts")
def contracts_task(
    outcomes: Sequence[Outcome],
    trajectories: Sequence[Trajectory],
    envs: Mapping[str, LoadedEnv],
    settings: ValidateSettings,
    docs_root: Path | None,
) -> ContractsReport:
    return run_contracts(outcomes, trajectories, envs, settings, docs_root)


@task(name="store-verdicts")
def store_task(warehouse: Warehouse, rows: list[dict[str, Any]]) -> int:
    from envscale.environments.validation.store import store_verdicts

    return store_verdicts(warehouse, rows)


@task(name="log-funnel-mlflow")
def mlflow_task(
    funnel_rows: Sequence[Any], params: dict[str, Any], extra: dict[str, float], run_id: str, home: Any
) -> str:
    """A `validate` run in the `envscale-validation` experiment: the funnel as metrics, per domain and overall."""
    return log_funnel(funnel_rows, params, extra, run_id, home)


EXPERIMENT = "envscale-validation"


def log_funnel(
    funnel_rows: Sequence[Any], params: dict[str, Any], extra: dict[str, float], run_id: str, home: Any
) -> str:
    import os
    import re

    from mlflow import MlflowClient

    from envscale.environments.validation.funnel import STEPS
    from envscale.models.registry import ensure_experiment

    client = MlflowClient(tracking_uri=os.environ.get("MLFLOW_TRACKING_URI", home.mlflow_uri))
    experiment_id = ensure_experiment(
        home, EXPERIMENT, "envscale validation: the trajectory funnel per run (overall and per domain)."
    )
    run = client.create_run(experiment_id, run_name="validate", tags={"envscale.run_id": run_id})
    rid = run.info.run_id
    try:
        for key, value in params.items():
            client.log_param(rid, key, value)
        metrics: dict[str, float] = dict(extra)
        for row in funnel_rows:
            prefix = (
                ""
                if row.domain == "overall"
                else "domain/" + re.sub(r"[^A-Za-z0-9_\-. /:]", "_", row.domain) + "/"
            )
            for step in (*STEPS, "rejected", "quarantined"):
                metrics[prefix + step] = float(getattr(row, step))
            metrics[prefix + "acceptance"] = row.acceptance
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        client.log_batch(rid, metrics=[Metric(k, v, now, 0) for k, v in metrics.items()])
        client.log_dict(rid, [r.model_dump() for r in funnel_rows], "funnel.json")
    except BaseException:
        client.set_terminated(rid, "FAILED")
        raise
    client.set_terminated(rid, "FINISHED")
    return rid
