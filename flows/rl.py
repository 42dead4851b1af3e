"""The RL stage: GRPO in the simulated environments from a registered version; register the result."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from envscale.config import apply_overrides, given
from envscale.models.registry import TrainingTracker, code_version
from envscale.models.rl_stage import lineage, start_version
from envscale.tasks.rl import grpo_task, register_rl_task, rl_tasks_task, start_model_task
from envscale.tasks.run_context import tracked_run


@flow(name="rl", log_prints=False)
def rl(
    from_version: str | None = None,
    max_steps: int | None = None,
    learning_rate: float | None = None,
    num_generations: int | None = None,
    max_tasks: int | None = None,
) -> dict[str, Any]:
    """GRPO (TRL environment_factory; reward = the evaluation judge) on training-split tasks.

    from_version: registered version of train.registered_model to start from (default: settings.rl,
    else the 'champion' alias). The result is registered as a new version with lineage tags, to be
    evaluated and promoted like any version.
    """
    logger = get_run_logger()
    params = given(
        from_version=from_version,
        max_steps=max_steps,
        learning_rate=learning_rate,
        num_generations=num_generations,
        max_tasks=max_tasks,
    )
    with tracked_run("rl", params) as ctx:
        settings = apply_overrides(ctx.settings.rl, params, "rl")
        name = ctx.settings.train.registered_model
        tracker = TrainingTracker(ctx.home, settings.experiment)
        version = start_version(tracker.client, name, settings.from_version)
        tasks = rl_tasks_task(ctx.warehouse, ctx.settings.train, settings)
        info = lineage(version, name, tasks, settings, code_version(), ctx.run_id)

        previous = tracker.find_run(info.rl_key, "parent")
        done = previous.data.tags.get("envscale.registered_version", "") if previous else ""
        if previous is not None and previous.info.status == "FINISHED" and done.startswith(f"{name}/"):
            logger.info("rl %s already done: %s", info.rl_key, done)
            ctx.summary.update(skipped=True, registered=done, rl_key=info.rl_key)
            return dict(ctx.summary)

        run_id = tracker.parent_run(info.rl_key, f"rl-from-v{version}", info.tags())
        try:
            tracker.log_params(run_id, settings.model_dump() | {"start_version": version})
            start_dir = start_model_task(ctx.home, name, version)
            result = grpo_task(
                tracker, run_id, start_dir, tasks, settings, ctx.home.cache / "rl" / info.rl_key
            )
            new = register_rl_task(tracker, run_id, result.model_dir, name, info)
        except BaseException:
            tracker.finish(run_id, "FAILED")
            raise
        tracker.finish(run_id)
        ctx.summary.update(
            registered=f"{name}/{new}",
            model_uri=f"models:/{name}/{new}",
            start_version=version,
            mlflow_run_id=run_id,
            steps=result.global_step,
            rewards=list(result.rewards),
            tasks=info.n_tasks,
            envs=info.n_envs,
            rl_key=info.rl_key,
        )
        create_markdown_artifact(
            key="rl-model",
            markdown=(
                f"# Registered {name}/{new} (GRPO from v{version})\n\n"
                f"- tasks: {info.n_tasks} in {info.n_envs} training-split environment(s)\n"
                f"- steps: {result.global_step}; reward per step: {list(result.rewards)}\n"
                f"- MLflow run: `{run_id}`\n"
            ),
            description="envscale rl: registered model",
        )
        logger.info("rl: registered %s/%s from v%s, rewards %s", name, new, version, result.rewards)
        return dict(ctx.summary)
