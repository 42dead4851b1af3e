"""The end-to-end pipeline: every built stage in order, each as a subflow."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from envscale.flows.registry import STAGES, Stage


@flow(name="pipeline", log_prints=True)
def pipeline(sources: list[str] | None = None) -> list[dict[str, Any]]:
    """Run ingest → build → synthesize → validate → train → evaluate → promote.

    Stages that are not built yet are reported as ``not built`` and stop the
    chain there, since every later stage consumes the one before it.
    """
    logger = get_run_logger()
    report: list[dict[str, Any]] = []
    blocked_by: Stage | None = None
    for stage in STAGES:
        if blocked_by is not None:
            report.append(_row(stage, "not run", f"waits for '{blocked_by.name}'"))
            continue
        if not stage.built:
            logger.warning("stage %s is not built yet (issue #%d)", stage.name, stage.issue)
            report.append(_row(stage, "not built", f"issue #{stage.issue}"))
            blocked_by = stage
            continue
        kwargs: dict[str, Any] = {"paths": sources} if stage.name == "ingest" and sources else {}
        result = stage.load()(**kwargs)
        report.append(_row(stage, "completed", _brief(result)))
    create_table_artifact(key="pipeline-stages", table=report, description="envscale pipeline: stage outcomes")
    return report


def _row(stage: Stage, status: str, detail: str) -> dict[str, Any]:
    return {"stage": stage.name, "status": status, "detail": detail}


def _brief(result: Any) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{k}={v}" for k, v in list(result.items())[:6] if not isinstance(v, dict | list))
    return "" if result is None else str(result)[:200]
