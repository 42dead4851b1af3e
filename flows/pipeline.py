"""The end-to-end pipeline and the deployment flows, all chaining registry stages as subflows."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from envscale.flows.registry import STAGES, Stage

StageName = Literal["ingest", "build", "synthesize", "validate", "train", "evaluate", "promote"]


def run_stages(
    names: list[str],
    *,
    sources: list[str] | None = None,
    skipped: dict[str, str] | None = None,
    stage_params: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Run the named stages in pipeline order, each as a subflow.

    A stage that is not built yet is reported as ``not built`` and stops the
    chain there, since every later stage consumes the one before it. A stage in
    ``skipped`` (name → why) is reported as ``skipped`` and does not stop the
    chain: the later stages work from what the warehouse already holds.
    ``stage_params`` (name → keyword arguments) reach that stage's flow.
    """
    from envscale.tasks.links import stage_tags, tag_flow_run

    tag_flow_run(stage_tags("pipeline") + [f"stages:{'+'.join(names)}"])
    logger = get_run_logger()
    report: list[dict[str, Any]] = []
    blocked_by: Stage | None = None
    skipped = skipped or {}
    for stage in (s for s in STAGES if s.name in names):
        if stage.name in skipped:
            report.append(_row(stage, "skipped", skipped[stage.name]))
            continue
        if blocked_by is not None:
            report.append(_row(stage, "not run", f"waits for '{blocked_by.name}'"))
            continue
        if not stage.built:
            logger.warning("stage %s is not built yet (issue #%d)", stage.name, stage.issue)
            report.append(_row(stage, "not built", f"issue #{stage.issue}"))
            blocked_by = stage
            continue
        kwargs: dict[str, Any] = {"paths": sources} if stage.name == "ingest" and sources else {}
        kwargs |= (stage_params or {}).get(stage.name, {})
        result = stage.load()(**kwargs)
        report.append(_row(stage, "completed", _brief(result)))
    create_table_artifact(key="pipeline-stages", table=report, description="envscale: stage outcomes")
    return report


# Parameters are typed without None (empty = the default) so the deployment form in the
# Prefect UI shows a list input with its description, not "Property is type None".
@flow(name="pipeline", log_prints=True)
def pipeline(sources: tuple[str, ...] = (), stages: tuple[StageName, ...] = ()) -> list[dict[str, Any]]:
    """ingest → build → synthesize → validate → train → evaluate → promote.

    Args:
        sources: Tool-schema files or folders to ingest (empty: the shipped sample catalog).
        stages: Run only these stages, in pipeline order (empty: every stage).
    """
    default = [s.name for s in STAGES if s.in_pipeline]
    return run_stages(list(stages) if stages else default, sources=list(sources) or None)


@flow(name="nightly-synthesis", log_prints=True)
def nightly_synthesis(watch_dir: str = "inbox") -> list[dict[str, Any]]:
    """(Re-)ingest the tool files of a watched folder, then build, synthesize and validate.

    Every file in the folder is ingested again each run; tools already in the catalog merge by
    content hash, so only new or changed ones add rows. A missing folder, or one without
    JSON/YAML files, means nothing new: ingest is skipped (and logged) and the build works
    from the catalog already in the warehouse.

    Args:
        watch_dir: Folder of tool-schema files; a relative path is taken from the worker's
            working directory (the checkout `prefect deploy` ran in).
    """
    stages = ["ingest", "build", "synthesize", "validate"]
    nothing_new = _nothing_new(watch_dir)
    if nothing_new is not None:
        get_run_logger().info(
            "nightly-synthesis: %s; building from the catalog in the warehouse", nothing_new
        )
        return run_stages(stages, skipped={"ingest": nothing_new})
    return run_stages(stages, sources=[watch_dir])


def _nothing_new(watch_dir: str) -> str | None:
    """Why the watched folder has nothing to ingest (missing, no tool files); None when it has some."""
    from envscale.environments.catalog.ingest import discover

    folder = Path(watch_dir).expanduser().resolve()
    if not folder.exists():
        return f"nothing new: watch folder {folder} does not exist"
    files, skipped, _ = discover([folder])
    if not files:
        return f"nothing new: no JSON/YAML tool files in {folder} ({len(skipped)} other file(s))"
    return None


@flow(name="evaluate-and-promote", log_prints=True)
def evaluate_and_promote(
    challenger: str = "", k: int = 0, max_tasks: int = 0, compare_base: bool = True
) -> list[dict[str, Any]]:
    """Evaluate the challenger on held-out environments and promote it if it beats the base model and the champion.

    Args:
        challenger: Model URI to evaluate and promote, e.g. models:/envscale-agent/3
            (empty: alias 'challenger', else the newest version).
        k: Trials per task for pass^k (0: settings.evaluate.k).
        max_tasks: Held-out tasks to evaluate on (0: settings.evaluate.max_tasks).
        compare_base: Also evaluate the base model on the same tasks, to show the gain.
    """
    evaluate = {"model": challenger or None, "compare_base": compare_base}
    evaluate |= {"k": k} if k > 0 else {}
    evaluate |= {"max_tasks": max_tasks} if max_tasks > 0 else {}
    return run_stages(
        ["evaluate", "promote"],
        stage_params={"evaluate": evaluate, "promote": {"challenger": challenger or None}},
    )


def _row(stage: Stage, status: str, detail: str) -> dict[str, Any]:
    return {"stage": stage.name, "status": status, "detail": detail}


def _brief(result: Any) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{k}={v}" for k, v in list(result.items())[:6] if not isinstance(v, dict | list))
    return "" if result is None else str(result)[:200]
