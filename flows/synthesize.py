"""The synthesize stage: blueprints, user intents and simulated user–agent–environment interplay."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from envscale.config import apply_overrides, with_synthesis_mode
from envscale.environments.synthesis.run import needs_embedded
from envscale.errors import StageFailed
from envscale.tasks.progress import ProgressBar
from envscale.tasks.run_context import tracked_run
from envscale.tasks.synthesize import load_environments_task, synthesize_task


class EndpointFailedEveryEpisode(StageFailed):
    """Every episode played ended on unusable endpoint replies: the data says nothing about the agent."""


@flow(name="synthesize", log_prints=True)
def synthesize(
    mode: Literal["auto", "forward", "reverse"] | None = None,
    reverse_wording: Literal["template", "llm"] | None = None,
    blueprints_per_environment: int | None = None,
    episodes_in_flight: int | None = None,
    environments: list[str] | None = None,
    retry_failed: bool | None = None,
) -> dict[str, Any]:
    """Synthesize trajectories for every accepted environment (defaults from settings.synthesize).

    A rerun continues where the last one stopped: finished trajectories are kept
    and never played twice. An LLM role with no base_url uses the embedded local
    server (started here, stopped at the end, log in the run folder).
    retry_failed: play stored episodes that ended 'repeated_failure' again, replacing them.
    When every episode played failed for endpoint reasons the run fails (they stay stored,
    so a rerun with retry_failed against a working endpoint replaces them).
    """
    logger = get_run_logger()
    params = {
        "mode": mode,
        "reverse_wording": reverse_wording,
        "blueprints_per_environment": blueprints_per_environment,
        "episodes_in_flight": episodes_in_flight,
        "environments": environments,
        "retry_failed": retry_failed,
    }
    with tracked_run("synthesize", params) as ctx:
        overrides = {k: v for k, v in params.items() if v is not None}
        llm = ctx.settings.llm
        settings = with_synthesis_mode(apply_overrides(ctx.settings.synthesize, overrides, "synthesize"), llm)
        ctx.summary["mode"] = settings.mode
        envs = load_environments_task(ctx.warehouse, list(settings.environments))  # a typo: UsageError
        if not envs:
            raise RuntimeError("no accepted environments in the warehouse: run `envscale build` first")
        with ExitStack() as stack:
            endpoint_overrides: dict[str, dict[str, str]] = {}
            roles = needs_embedded(llm, settings)
            if roles:
                from envscale.models.serving import embedded_endpoint

                logger.info(
                    "starting the embedded endpoint for %s (log in %s)", ", ".join(roles), ctx.run_dir
                )
                endpoint = stack.enter_context(
                    embedded_endpoint(ctx.home, ctx.settings.train.base_model, log_dir=ctx.run_dir)
                )
                endpoint_overrides = {
                    r: {"base_url": endpoint.base_url, "model": endpoint.model} for r in roles
                }
                ctx.summary["embedded_endpoint"] = endpoint.base_url
            bar = stack.enter_context(ProgressBar("trajectories", unit="ep"))
            # Threads: one in-process event loop streams episodes (hundreds in flight); Dask/Ray:
            # chunks of episodes are mapped over worker processes and come back to be written here.
            scale = ctx.settings.scale
            report = synthesize_task(
                ctx.warehouse,
                envs,
                settings,
                llm,
                ctx.run_id,
                endpoint_overrides,
                bar.update,
                map_workers=scale.workers if scale.runner != "threads" else None,
            )
        summary = report.summary()
        ctx.summary.update(summary)
        table = [
            {"domain": domain, "termination": termination, "trajectories": n}
            for (domain, termination), n in sorted(report.by_domain_termination.items())
        ]
        create_table_artifact(
            key="synthesize-terminations",
            table=table or [{"domain": "-", "termination": "-", "trajectories": 0}],
            description=f"envscale synthesize: trajectories per domain and termination (run {ctx.run_id})",
        )
        print(
            f"synthesize: {summary['environments']} environment(s), {summary['blueprints_kept']} blueprints kept "
            f"({summary['blueprints_dropped']} dropped), {summary['trajectories_written']} trajectories written, "
            f"{summary['trajectories_skipped_existing']} already done"
            + (f", {summary['trajectories_retried']} failed ones played again" if report.retried else "")
        )
        for row in table:
            print(f"  {row['domain']:<30} {row['termination']:<18} {row['trajectories']}")
        if report.played and report.endpoint_failed == report.played:
            # Not a success: nothing usable was made, and a plain rerun would skip these episodes.
            raise EndpointFailedEveryEpisode(
                f"every episode played ({report.played}) failed for endpoint reasons "
                f"(unusable replies, e.g. {report.endpoint_failure_example}); fix the endpoint, then "
                "rerun with `envscale synthesize --retry-failed` to play them again"
            )
        if report.endpoint_failed:
            logger.warning(
                "%d of %d episodes failed for endpoint reasons (e.g. %s); `--retry-failed` plays them again",
                report.endpoint_failed,
                report.played,
                report.endpoint_failure_example,
            )
        return {
            "environments": summary["environments"],
            "blueprints": summary["blueprints_kept"],
            "trajectories": summary["trajectories_written"],
            "skipped": summary["trajectories_skipped_existing"],
            "run_id": ctx.run_id,
        }
