"""Evaluation reports and promotion decisions in the warehouse."""

from __future__ import annotations

import json
from typing import Any

from envscale.environments.evaluation.records import Decision, EvalReport
from envscale.hashing import content_hash
from envscale.warehouse import Warehouse


def eval_key(model_version: str, task_set_hash: str, settings: dict[str, Any]) -> str:
    """What determines a registered version's report: the version, the task set, and how trials are played."""
    return content_hash({"model": model_version, "tasks": task_set_hash, "settings": settings})


def save_report(
    wh: Warehouse, eval_id: str, report: EvalReport, *, run_id: str | None, mlflow_run_id: str | None
) -> None:
    wh.insert(
        "evaluations",
        [
            {
                "eval_id": eval_id,
                "label": report.label,
                "model_version": report.model_version,
                "task_set_hash": report.task_set_hash,
                "k": report.k,
                "seed": report.seed,
                "n_tasks": report.overall.n_tasks,
                "pass_1": report.overall.pass_1,
                "pass_k": report.overall.pass_k,
                "report": report.model_dump(mode="json"),
                "mlflow_run_id": mlflow_run_id,
                "run_id": run_id,
            }
        ],
        on_conflict="replace",
    )


def load_report(wh: Warehouse, eval_id: str) -> tuple[EvalReport, str | None] | None:
    """The stored report and its MLflow run id, or None."""
    with wh.connect() as con:
        row = con.execute(
            "SELECT report, mlflow_run_id FROM evaluations WHERE eval_id = ?", [eval_id]
        ).fetchone()
    if row is None:
        return None
    return EvalReport.model_validate(json.loads(row[0])), row[1]


def save_decision(
    wh: Warehouse,
    decision: Decision,
    *,
    registered_model: str,
    challenger: str,
    champion: str | None,
    task_set_hash: str | None,
    run_id: str | None,
) -> str:
    decision_id = content_hash({"run": run_id, "challenger": challenger, "champion": champion})
    wh.insert(
        "promotions",
        [
            {
                "decision_id": decision_id,
                "registered_model": registered_model,
                "challenger": challenger,
                "champion": champion,
                "promoted": decision.promoted,
                "reason": decision.reason,
                "decision": decision.model_dump(mode="json"),
                "task_set_hash": task_set_hash,
                "run_id": run_id,
            }
        ],
        on_conflict="replace",
    )
    return decision_id


# -- what `envscale status` shows -----------------------------------------------------------------------
_REPORT_COLUMNS = "label, model_version, n_tasks, k, pass_1, pass_k, created_at"


def recent_evaluations(wh: Warehouse, limit: int = 5) -> list[dict[str, Any]]:
    """The newest evaluation reports (label, version, tasks, k, pass^1, pass^k, when)."""
    return wh.rows(f"SELECT {_REPORT_COLUMNS} FROM evaluations ORDER BY created_at DESC LIMIT ?", [limit])


def recent_promotions(wh: Warehouse, limit: int = 5) -> list[dict[str, Any]]:
    """The newest promotion decisions (challenger, champion before, promoted, reason, when)."""
    return wh.rows(
        "SELECT registered_model, challenger, champion, promoted, reason, created_at FROM promotions"
        " ORDER BY created_at DESC LIMIT ?",
        [limit],
    )


def latest_evaluation_of(wh: Warehouse, model_version: str) -> dict[str, Any] | None:
    """The newest report of a registered version ('<name>/<version>'), or None."""
    rows = wh.rows(
        f"SELECT {_REPORT_COLUMNS} FROM evaluations WHERE model_version = ? ORDER BY created_at DESC LIMIT 1",
        [model_version],
    )
    return rows[0] if rows else None
