"""The validate stage: the three-stage filter, data contracts, the funnel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from envscale.data_contracts.runner import store_contract_result
from envscale.environments.store.environments import environment_names
from envscale.environments.validation.funnel import STEPS, FunnelRow, funnel
from envscale.environments.validation.store import funnel_records, verdict_rows
from envscale.tasks.fanout import deal, fan_out
from envscale.tasks.links import file_link
from envscale.tasks.run_context import tracked_run
from envscale.tasks.selection import select_environments
from envscale.tasks.validate import (
    contracts_task,
    load_task,
    mlflow_task,
    pending_task,
    stages_task,
    store_task,
)


@flow(name="validate", log_prints=True)
def validate(environments: list[str] | None = None, contracts: bool | None = None) -> dict[str, Any]:
    """Validate every trajectory not validated yet (or whose inputs changed).

    environments: only these env_ids or environment names (default: all); an unknown one is an error.
    contracts: run the data contracts (default: settings.validation.contracts).
    """
    logger = get_run_logger()
    params = {"environments": environments, "contracts": contracts}
    with tracked_run("validate", params) as ctx:
        settings = ctx.settings.validation
        if contracts is not None:
            settings = settings.model_copy(update={"contracts": contracts})
        selected = _selected_env_ids(ctx.warehouse, environments or [])
        pending, current = pending_task(ctx.warehouse, settings, selected)
        summary: dict[str, Any] = {
            "up_to_date": current,
            "validated": 0,
            "accepted": 0,
            "rejected": 0,
            "quarantined": 0,
        }
        if pending:
            lineage = {p.trajectory_id: p.lineage_hash for p in pending}
            trajectories, blueprints, envs = load_task(ctx.warehouse, [p.trajectory_id for p in pending])
            outcomes, replay_stats = _run_stages(
                trajectories, blueprints, envs, settings, ctx.settings.scale.workers
            )
            summary.update(replay_stats)
            verdicts: dict[str, Any] = {}
            if settings.contracts:
                report = contracts_task(outcomes, trajectories, envs, settings, ctx.run_dir / "data_docs")
                verdicts = report.verdicts
                for result, subject in zip(report.results, report.subjects, strict=True):
                    store_contract_result(ctx.warehouse, ctx.run_id, result, subject=subject)
                summary["contract_failing_rows"] = report.failing_rows
                summary["data_docs"] = [r.docs_path for r in report.results if r.docs_path]
            rows = verdict_rows(outcomes, verdicts, lineage, ctx.run_id)
            store_task(ctx.warehouse, rows)
            summary.update(_counts(rows))
        rows_f = funnel(funnel_records(ctx.warehouse))
        summary["funnel"] = [r.model_dump() for r in rows_f]
        _publish(rows_f, summary)
        if pending:
            extra = {k: float(summary[k]) for k in ("validated", "accepted", "rejected", "quarantined")}
            summary["mlflow_run_id"] = mlflow_task(
                rows_f, settings.model_dump(mode="json"), extra, ctx.run_id, ctx.home
            )
        print(format_funnel(rows_f))
        logger.info(
            "validated %d trajectories (%d already up to date): %s",
            len(pending),
            current,
            {k: summary.get(k, 0) for k in ("accepted", "rejected", "quarantined")},
        )
        ctx.summary.update(summary)
        return {"run_id": ctx.run_id, **summary}


def _selected_env_ids(warehouse: Any, selected: list[str]) -> list[str]:
    """The env_ids of the selected env_ids/names among every environment in the warehouse."""
    if not selected:
        return []
    return select_environments(selected, environment_names(warehouse), "any environment in the warehouse")


def _run_stages(trajectories, blueprints, envs, settings, workers: int) -> tuple[list[Any], dict[str, int]]:
    """Stages 1-3 mapped over chunks of environments (workers return outcomes; the flow writes)."""
    by_env: dict[str, list[Any]] = {}
    for t in trajectories:
        by_env.setdefault(t.env_id, []).append(t)
    chunks = deal(sorted(by_env), workers, size=lambda e: len(by_env[e]))  # balance trajectories per chunk

    def args(i: int, chunk: list[str]) -> tuple[tuple, dict]:
        items = [t for e in chunk for t in by_env[e]]
        needed = {t.blueprint_id for t in items}
        bps = {b: bp for b, bp in blueprints.items() if b in needed}
        return (items, bps, {e: envs[e] for e in chunk if e in envs}, settings), {"label": f"chunk-{i}"}

    outcomes: list[Any] = []
    stats = {"replays": 0, "memo_hits": 0}
    for part in fan_out(stages_task, chunks, args):
        outcomes.extend(part.outcomes)
        stats["replays"] += part.replays
        stats["memo_hits"] += part.memo_hits
    return outcomes, stats


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "validated": len(rows),
        "accepted": sum(r["verdict"] == "accepted" for r in rows),
        "rejected": sum(r["verdict"] == "rejected" for r in rows),
        "quarantined": sum(r["verdict"] == "quarantined" for r in rows),
    }


def _publish(rows: list[FunnelRow], summary: dict[str, Any]) -> None:
    table = [{**r.model_dump(), "acceptance": round(r.acceptance, 4)} for r in rows]
    create_table_artifact(
        key="validation-funnel",
        table=table,
        description="synthesized → valid → state-aligned → exact-match → contract-clean",
    )
    lines = [
        "# Validation",
        f"- validated this run: {summary.get('validated', 0)} (up to date: {summary.get('up_to_date', 0)})",
        f"- accepted {summary.get('accepted', 0)}, rejected {summary.get('rejected', 0)}, "
        f"**quarantined {summary.get('quarantined', 0)}**",
    ]
    for suite, n in (summary.get("contract_failing_rows") or {}).items():
        lines.append(f"- contract `{suite}`: {n} failing rows")
    for path in summary.get("data_docs") or []:
        lines.append(f"- Data Docs: {file_link(path, Path(path).parent.name + ' Data Docs')}")
    create_markdown_artifact(
        key="validation-summary", markdown="\n".join(lines), description="validate: summary"
    )


def format_funnel(rows: list[FunnelRow]) -> str:
    """The funnel as a fixed-width text table (printed by the flow and the CLI)."""
    headers = ("domain", *STEPS, "rejected", "quarantined", "acceptance")
    body = [
        (
            r.domain,
            *(str(getattr(r, s)) for s in STEPS),
            str(r.rejected),
            str(r.quarantined),
            f"{r.acceptance:.1%}",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    out += ["  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    if not body:
        out.append("(no trajectories)")
    return "\n".join(out)
