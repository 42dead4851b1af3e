"""The promote stage: challenger vs champion on the same tasks and seeds; move the aliases when it wins."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from envscale.environments.evaluation import store
from envscale.environments.evaluation.metrics import task_set_hash
from envscale.environments.evaluation.promotion import decide
from envscale.errors import StageFailed
from envscale.hashing import content_hash
from envscale.tasks.evaluate import (
    CHALLENGER,
    CHAMPION,
    PREVIOUS_CHAMPION,
    AgentSpec,
    alias_version,
    eval_settings,
    evaluate_agent,
    mlflow_client,
    report_rows,
    resolve_model,
    task_set_task,
    user_endpoint,
)
from envscale.tasks.run_context import tracked_run
from envscale.tasks.skip import skip_unchanged


class PromoteFailed(StageFailed):
    """No challenger, or nothing to compare on."""


@flow(name="promote", log_prints=True)
def promote(challenger: str | None = None) -> dict[str, Any]:
    """Evaluate the challenger, the current champion and the base model on the same tasks; promote the challenger if it wins.

    challenger: a model URI (default settings.promote.challenger, else alias 'challenger', else the newest version).
    It must beat the base model (settings.promote.beat_base) and the champion by settings.promote.margin.
    Promotion moves alias 'champion' to the challenger and 'previous-champion' to the old champion;
    the decision and its numbers become tags on the challenger's version. Rejected versions stay registered.
    """
    logger = get_run_logger()
    with tracked_run("promote", {"challenger": challenger}) as ctx:
        s, p = ctx.settings, ctx.settings.promote
        spec = resolve_model(ctx.home, challenger or p.challenger, s.train.registered_model)
        if spec.version is None:
            raise PromoteFailed(f"{spec.label} is not a registered model version; register it first")
        name = spec.name or s.train.registered_model
        champion_version = alias_version(ctx.home, name, CHAMPION)
        if champion_version == spec.version:
            print(f"promote: {spec.model_version} is already the champion")
            ctx.summary.update(
                decision="already_champion", challenger=spec.model_version, champion=spec.model_version
            )
            return {"run_id": ctx.run_id, "decision": "already_champion", "challenger": spec.model_version}
        k = s.evaluate.k
        task_set = task_set_task(ctx, s.evaluate.max_tasks, s.evaluate.include_tau_bench)
        if not task_set.tasks:
            raise PromoteFailed("no tasks to evaluate on; run build and synthesize first")
        tasks_hash = task_set_hash(task_set.task_ids, k, s.evaluate.seed)
        key = content_hash(
            {
                "challenger": spec.model_version,
                "champion": champion_version,
                "base": s.train.base_model if p.beat_base else None,
                "tasks": tasks_hash,
                "settings": eval_settings(s, k),
                "rules": p.model_dump(mode="json", exclude={"challenger"}),
            }
        )
        previous = skip_unchanged(ctx, "promote", key)
        if previous is not None:
            logger.info("promote: already decided in run %s; skipped", previous["same_as_run"])
            ctx.summary.update(previous)
            return {"run_id": ctx.run_id, **{k2: previous[k2] for k2 in _BRIEF if k2 in previous}}

        champion_spec = None if champion_version is None else AgentSpec.registered(name, champion_version)
        base_spec = (
            AgentSpec(label=f"base:{s.train.base_model}", base_model=s.train.base_model)
            if p.beat_base
            else None
        )
        with user_endpoint(ctx) as user:
            mine, mine_run, _ = evaluate_agent(ctx, spec, task_set, k, user)
            theirs = evaluate_agent(ctx, champion_spec, task_set, k, user)[0] if champion_spec else None
            base = evaluate_agent(ctx, base_spec, task_set, k, user)[0] if base_spec else None
        decision = decide(
            mine,
            theirs,
            base=base,
            margin=p.margin,
            regression_tolerance=p.regression_tolerance,
            floor=p.floor,
        )
        client = mlflow_client(ctx.home)
        for tag, value in decision.tags().items():
            client.set_model_version_tag(name, spec.version, tag, value)
        client.set_model_version_tag(
            name, spec.version, "envscale.promotion.champion_before", champion_version or ""
        )
        if decision.promoted:
            if champion_version is not None:
                client.set_registered_model_alias(name, PREVIOUS_CHAMPION, champion_version)
            client.set_registered_model_alias(name, CHAMPION, spec.version)
            if alias_version(ctx.home, name, CHALLENGER) == spec.version:
                # Promoted: a 'challenger' alias left on it would make every later default run
                # answer "already champion" and never look at newer versions.
                client.delete_registered_model_alias(name, CHALLENGER)
        store.save_decision(
            ctx.warehouse,
            decision,
            registered_model=name,
            challenger=spec.version,
            champion=champion_version,
            task_set_hash=tasks_hash,
            run_id=ctx.run_id,
        )
        summary = {
            "decision": "promoted" if decision.promoted else "rejected",
            "reason": decision.reason,
            "challenger": spec.model_version,
            "champion_before": f"{name}/{champion_version}" if champion_version else None,
            "champion_after": spec.model_version
            if decision.promoted
            else (f"{name}/{champion_version}" if champion_version else None),
            "challenger_pass_1": round(decision.challenger_pass_1, 4),
            "champion_pass_1": None
            if decision.champion_pass_1 is None
            else round(decision.champion_pass_1, 4),
            "base_pass_1": None if decision.base_pass_1 is None else round(decision.base_pass_1, 4),
            "delta": None if decision.delta is None else round(decision.delta, 4),
            "regressions": decision.regressions,
            "challenger_mlflow_run_id": mine_run,
            "table": report_rows([r for r in (base, theirs, mine) if r is not None]),
        }
        _publish(summary)
        print(
            f"promote: {summary['decision']} {spec.model_version} ({decision.reason}); "
            f"champion now {summary['champion_after']}"
        )
        ctx.summary.update(summary)
        return {"run_id": ctx.run_id, **{k2: summary[k2] for k2 in _BRIEF}}


_BRIEF = (
    "decision",
    "reason",
    "challenger",
    "champion_after",
    "challenger_pass_1",
    "champion_pass_1",
    "base_pass_1",
    "delta",
)


def _publish(summary: dict[str, Any]) -> None:
    create_table_artifact(
        key="promotion-comparison",
        table=summary["table"],
        description="envscale promote: champion vs challenger per domain",
    )
    lines = [
        f"# Promotion: {summary['decision']}",
        f"- challenger **{summary['challenger']}**: pass^1 {summary['challenger_pass_1']}",
        f"- champion before: {summary['champion_before'] or '(none)'}: pass^1 {summary['champion_pass_1']}",
        f"- base model: pass^1 {summary['base_pass_1']}",
        f"- delta: {summary['delta']}; reason: `{summary['reason']}`",
        f"- champion after: **{summary['champion_after'] or '(none)'}**",
    ]
    for domain, drop in summary["regressions"].items():
        lines.append(f"- regression in {domain}: -{drop:.3f}")
    create_markdown_artifact(
        key="promotion-decision", markdown="\n".join(lines), description="envscale promote"
    )
