"""Synthesis over environments, end to end and resumable (no Prefect here: tasks/flows wrap it).

Per environment: blueprints (sampled once, deterministic in the seed, stored;
a rerun reuses the stored ones), tasks (one per blueprint, stored), then the
episodes missing from the warehouse, keyed by (env, blueprint, attempt, mode):
a rerun after a crash plays only what is missing, with no duplicate.

An endpoint that refuses (401/403/404, unknown model: ``EndpointRefused``) fails
the run like a dead one; the episodes it cut short are not stored. Trajectories
stored by earlier versions from refused requests count as missing and are
played again (and replaced).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envscale.config import EndpointSettings, LLMSettings, SynthesizeSettings, with_synthesis_mode
from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.synthesis import store
from envscale.environments.synthesis.blueprints import SamplerConfig, probe_rows, sample_blueprint
from envscale.environments.synthesis.intents import llm_task, template_task
from envscale.environments.synthesis.interplay import EngineConfig, Job, build_reverse, play_forward, run_jobs
from envscale.environments.synthesis.pace import pace_warning
from envscale.environments.synthesis.planner import GoalPlanner, load_tables
from envscale.environments.synthesis.records import Blueprint, Issue, Task, Trajectory, Usage
from envscale.environments.synthesis.users import LLMUser, ScriptedUser
from envscale.environments.synthesis.wording import llm_wording
from envscale.warehouse import Warehouse

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from envscale.llm.client import EndpointDead

Progress = Callable[..., None]  # (done, total, *, in_flight=int | None, tokens=int): episodes and LLM tokens
Mapper = Callable[[list[Job]], Iterable[Trajectory]]  # plays jobs elsewhere, yields their trajectories


@dataclass
class SynthesisReport:
    environments: int = 0
    blueprints_kept: int = 0
    blueprints_dropped: int = 0
    drop_reasons: Counter = field(default_factory=Counter)
    tasks: int = 0
    task_fallbacks: int = 0
    wording_fallbacks: int = 0  # reverse mode with LLM wording: template replies used instead
    planned: int = 0
    skipped_existing: int = 0
    played: int = 0
    retried: int = 0  # stored failed episodes played again (--retry-failed), replaced
    endpoint_failed: int = 0  # played episodes ended by unusable endpoint replies
    endpoint_failure_example: str | None = None
    pace_warning: str | None = None  # the configured work is far beyond the endpoint's measured pace
    by_domain_termination: Counter = field(default_factory=Counter)
    llm_usage: dict[str, Any] = field(default_factory=dict)
    wall_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "environments": self.environments,
            "blueprints_kept": self.blueprints_kept,
            "blueprints_dropped": self.blueprints_dropped,
            "drop_reasons": dict(self.drop_reasons),
            "tasks": self.tasks,
            "task_fallbacks": self.task_fallbacks,
            "wording_fallbacks": self.wording_fallbacks,
            "trajectories_planned": self.planned,
            "trajectories_skipped_existing": self.skipped_existing,
            "trajectories_written": self.played,
            "trajectories_retried": self.retried,
            "endpoint_failed": self.endpoint_failed,
            "endpoint_failure_example": self.endpoint_failure_example,
            "pace_warning": self.pace_warning,
            "terminations": {f"{d}|{t}": n for (d, t), n in sorted(self.by_domain_termination.items())},
            "llm_usage": self.llm_usage,
            "wall_s": round(self.wall_s, 2),
        }


def state_rows(episode: Any, manifest: EnvironmentManifest, limit: int = 200) -> list[dict[str, Any]]:
    """Existing rows of every table (``query`` when the episode has it, else the no-argument read tools).

    A row of ``customers`` with key ``id`` also feeds ``customer_id``.
    """
    query = getattr(episode, "query", None)
    if query is None:
        return probe_rows(episode)
    out: list[dict[str, Any]] = []
    for table in manifest.db_schema.tables:
        rows = query(f'SELECT * FROM "{table.name}" LIMIT {int(limit)}')
        if table.primary_key == ("id",):
            alias = table.name.removesuffix("s") + "_id"
            rows = [{**r, alias: r.get("id")} for r in rows]
        out.append({table.name: rows})
    return out


def sample_environment(
    manifest: EnvironmentManifest, directory: Path, settings: SynthesizeSettings
) -> tuple[list[Blueprint], list[Blueprint]]:
    """``(kept, dropped)`` blueprints for one environment, deterministic in ``settings.seed``."""
    from envscale.environments.runtime import open_episode

    edges = [(e.source, e.target) for e in manifest.edges]
    config = SamplerConfig(
        min_calls=settings.min_calls,
        max_calls=max(settings.min_calls, settings.max_calls),
        multi_goal_share=settings.multi_goal_share,
        refusal_share=settings.refusal_share,
        lookup_share=settings.lookup_share,
    )
    kept: dict[str, Blueprint] = {}
    dropped: list[Blueprint] = []
    rows: list[dict[str, Any]] | None = None
    planner: GoalPlanner | None = None
    tries = settings.blueprints_per_environment * settings.sample_tries
    for i in range(tries):
        if len(kept) >= settings.blueprints_per_environment:
            break
        seed = hash((settings.seed, i)) & 0xFFFFFFFF
        rng = random.Random(f"{settings.seed}:{manifest.env_id}:{i}")
        with open_episode(manifest, directory=directory) as episode:
            if settings.planner == "goal":
                if planner is None:
                    planner = GoalPlanner(manifest, load_tables(episode, manifest), config)
                bp = planner.plan(
                    episode, rng, seed=seed, open_scratch=lambda: open_episode(manifest, directory=directory)
                )
            else:
                if rows is None:
                    rows = state_rows(episode, manifest)
                bp = sample_blueprint(manifest.env_id, episode, edges, rng, config, rows=rows, seed=seed)
        if bp.status == "kept":
            kept.setdefault(bp.blueprint_id, bp)
        else:
            dropped.append(bp)
    return list(kept.values()), dropped


class _Roles:
    """The LLM clients of one run (created inside the event loop)."""

    def __init__(
        self, llm: LLMSettings, overrides: dict[str, dict[str, str]], *, used: tuple[str, ...]
    ) -> None:
        from envscale.llm import LLMClient

        self.clients: dict[str, Any] = {}
        for role in used:
            s: EndpointSettings = getattr(llm, role)
            if s.mode == "llm":
                o = overrides.get(role, {})
                self.clients[role] = LLMClient(s, role=role, base_url=o.get("base_url"), model=o.get("model"))

    async def aclose(self) -> None:
        for c in self.clients.values():
            await c.aclose()

    def usage(self) -> dict[str, Any]:
        return {role: c.usage.as_dict() for role, c in self.clients.items()}


def roles_used(settings: SynthesizeSettings) -> tuple[str, ...]:
    """The LLM roles a run may call (each still only when its mode is 'llm')."""
    if settings.mode == "forward":
        return ("agent", "user_simulator", "task_writer")
    return ("agent", "task_writer") if settings.reverse_wording == "llm" else ("task_writer",)


def needs_embedded(llm: LLMSettings, settings: SynthesizeSettings) -> list[str]:
    """Roles that would call the embedded local server (mode llm, no base_url, and actually used)."""
    return [
        role
        for role in roles_used(settings)
        if getattr(llm, role).mode == "llm" and not getattr(llm, role).base_url
    ]


def synthesize_environments(
    wh: Warehouse,
    manifests: list[EnvironmentManifest],
    directory: Path,
    *,
    settings: SynthesizeSettings,
    llm: LLMSettings,
    run_id: str | None,
    endpoint_overrides: dict[str, dict[str, str]] | None = None,
    progress: Progress | None = None,
    mapper: Mapper | None = None,
) -> SynthesisReport:
    """Blueprints → tasks → trajectories for every manifest; resumable; raises EndpointDead on a dead endpoint.

    ``mapper`` (optional) plays the episodes elsewhere (mapped workers running
    ``play_jobs``) and yields the trajectories back; this process stays the
    only warehouse writer either way.
    """
    settings = with_synthesis_mode(settings, llm)
    t0 = time.perf_counter()
    report = SynthesisReport(environments=len(manifests))
    by_env: dict[str, tuple[EnvironmentManifest, list[Blueprint]]] = {}
    for manifest in manifests:
        if _tau2_tasks(manifest, settings):
            found = _tau2_blueprints(wh, manifest, directory, settings, run_id)
            if found is None:  # telecom: its tasks need the user's device, which synthesis does not play
                report.drop_reasons[f"tau2_dual_control: {manifest.name} not synthesized"] += 1
                continue
            by_env[manifest.env_id] = (manifest, found)
            report.blueprints_kept += len(found)
            continue
        stored = store.load_blueprints(wh, manifest.env_id)
        if len(stored) < settings.blueprints_per_environment:
            kept, dropped = sample_environment(manifest, directory, settings)
            store.save_blueprints(wh, [*kept, *dropped], run_id)
            report.blueprints_dropped += len(dropped)
            report.drop_reasons.update(b.reason.split(":")[0] for b in dropped if b.reason)
            stored = store.load_blueprints(wh, manifest.env_id)
        blueprints = stored[: settings.blueprints_per_environment]
        report.blueprints_kept += len(blueprints)
        by_env[manifest.env_id] = (manifest, blueprints)
    if not by_env:
        report.wall_s = time.perf_counter() - t0
        return report
    report = asyncio.run(
        _play_all(
            wh, by_env, directory, settings, llm, run_id, endpoint_overrides or {}, progress, report, mapper
        )
    )
    report.wall_s = time.perf_counter() - t0
    return report


def _tau2_tasks(manifest: EnvironmentManifest, settings: SynthesizeSettings) -> bool:
    return manifest.source.get("dataset") == "tau2" and settings.tau2_tasks != "sampled"


def _tau2_blueprints(
    wh: Warehouse,
    manifest: EnvironmentManifest,
    directory: Path,
    settings: SynthesizeSettings,
    run_id: str | None,
) -> list[Blueprint] | None:
    """τ²'s own tasks of ``settings.tau2_tasks`` (train: never its test tasks) as blueprints + tasks, stored;
    None for a dual-control domain."""
    from envscale.environments.evaluation.tau2_tasks import tau2_training_tasks

    found = tau2_training_tasks(
        manifest, directory, split=settings.tau2_tasks, limit=settings.tau2_max_tasks, seed=settings.seed
    )
    if found is None:
        return None
    blueprints, tasks = found
    store.save_blueprints(wh, blueprints, run_id)
    store.save_tasks(wh, tasks, run_id)
    return blueprints


async def _play_all(
    wh: Warehouse,
    by_env: dict[str, tuple[EnvironmentManifest, list[Blueprint]]],
    directory: Path,
    settings: SynthesizeSettings,
    llm: LLMSettings,
    run_id: str | None,
    overrides: dict[str, dict[str, str]],
    progress: Progress | None,
    report: SynthesisReport,
    mapper: Mapper | None = None,
) -> SynthesisReport:
    roles = _Roles(llm, overrides, used=roles_used(settings))
    writer: store.TrajectoryWriter | None = None
    try:
        # Tasks: reuse stored ones; write the missing ones (LLM writer checked, template fallback marked).
        tasks: dict[str, Task] = {}
        new_tasks: list[Task] = []
        for env_id, (_, blueprints) in by_env.items():
            known = store.load_tasks(wh, env_id)
            for bp in blueprints:
                task = known.get(bp.blueprint_id)
                if task is None:
                    if "task_writer" in roles.clients:
                        task = await llm_task(roles.clients["task_writer"], bp, seed=llm.task_writer.seed)
                    else:
                        task = template_task(bp)
                    new_tasks.append(task)
                tasks[bp.blueprint_id] = task
        store.save_tasks(wh, new_tasks, run_id)
        report.tasks = len(tasks)
        report.task_fallbacks = sum(1 for t in tasks.values() if t.fallback_reason)

        # Trajectories shaped by an endpoint refusal (stored by earlier versions) are not done.
        refused_ids = store.refused_trajectory_ids(wh)
        # --retry-failed: episodes that ended repeated_failure are not done either (replaced when replayed).
        failed_ids = store.failed_trajectory_ids(wh) if settings.retry_failed else set()
        replace = refused_ids | failed_ids
        done_ids = store.trajectory_ids(wh) - replace
        mode = settings.mode
        jobs: list[Job] = []
        for env_id, (_, blueprints) in by_env.items():
            for bp in blueprints:
                for attempt in range(settings.attempts_per_blueprint):
                    report.planned += 1
                    trajectory_id = Trajectory.make_id(env_id, bp.blueprint_id, attempt, mode)
                    if trajectory_id in done_ids:
                        report.skipped_existing += 1
                        continue
                    report.retried += trajectory_id in failed_ids
                    jobs.append(Job(task=tasks[bp.blueprint_id], blueprint=bp, attempt=attempt))
        total = len(jobs)
        if progress:
            progress(0, total)
        writer = store.TrajectoryWriter(wh, run_id, replace=replace)
        domain_of = {env_id: m.domain_id or m.name for env_id, (m, _) in by_env.items()}

        started = {"episodes": 0, "tokens": 0}  # in flight = started - played (None when mapped out)
        t0 = time.perf_counter()

        def on_done(trajectory: Trajectory) -> None:
            writer.put(trajectory)  # type: ignore[union-attr]
            report.played += 1
            started["tokens"] += trajectory.usage.prompt_tokens + trajectory.usage.completion_tokens
            report.wording_fallbacks += any(i.code == "reverse_wording_fallback" for i in trajectory.issues)
            report.by_domain_termination[(domain_of[trajectory.env_id], trajectory.termination)] += 1
            failure = store.endpoint_failure(trajectory)
            if failure is not None:
                report.endpoint_failed += 1
                report.endpoint_failure_example = report.endpoint_failure_example or failure
            if report.pace_warning is None:
                report.pace_warning = pace_warning(report.played, total, time.perf_counter() - t0)
                if report.pace_warning:
                    logger.warning(report.pace_warning)
            if progress:
                in_flight = started["episodes"] - report.played if mapper is None else None
                progress(report.played, total, in_flight=in_flight, tokens=started["tokens"])

        if mapper is not None and jobs:
            for trajectory in mapper(jobs):  # workers play; finished ones are written as they come back
                on_done(trajectory)
        else:
            manifests = {env_id: m for env_id, (m, _) in by_env.items()}
            player = _player(manifests, directory, settings, llm, roles)

            async def play(job: Job) -> Trajectory:
                started["episodes"] += 1
                return await player(job)

            await run_jobs(jobs, play, in_flight=settings.episodes_in_flight, on_done=on_done)
    finally:
        if writer is not None:
            writer.close()  # everything finished is durable, also when an endpoint died
        report.llm_usage = roles.usage()
        await roles.aclose()
    return report


def _player(
    manifests: dict[str, EnvironmentManifest],
    directory: Path,
    settings: SynthesizeSettings,
    llm: LLMSettings,
    roles: _Roles,
) -> Callable[[Job], Awaitable[Trajectory]]:
    """The coroutine that plays one job (forward interplay, or reverse from the blueprint)."""
    from envscale.environments.runtime import open_episode

    mode = settings.mode
    config = EngineConfig(
        max_turns=settings.max_turns, max_failures=settings.max_failures, seed=llm.agent.seed
    )
    tools_of = {env_id: m.openai_tools() for env_id, m in manifests.items()}
    # The agent's system prompt carries each environment's policy (its business rules).
    configs = {
        env_id: replace(config, system_prompt=m.system_prompt(config.system_prompt))
        for env_id, m in manifests.items()
    }
    if mode == "forward" and "agent" not in roles.clients:
        raise ValueError("forward mode needs llm.agent.mode = 'llm' (or use synthesize.mode = 'reverse')")

    async def play(job: Job) -> Trajectory:
        if mode == "reverse":
            prompt = configs[job.blueprint.env_id].system_prompt
            if "agent" not in roles.clients:
                return build_reverse(job, tools_of[job.blueprint.env_id], system_prompt=prompt)
            wording = await llm_wording(roles.clients["agent"], job.task, job.blueprint, seed=llm.agent.seed)
            issues = ()
            if wording.fallback_reason:
                turn = len(job.blueprint.calls)
                issues = (Issue(turn=turn, code="reverse_wording_fallback", detail=wording.fallback_reason),)
            usage = Usage(
                prompt_tokens=wording.prompt_tokens,
                completion_tokens=wording.completion_tokens,
                requests=wording.requests,
                invalid_replies=int(wording.fallback_reason is not None),
            )
            return build_reverse(
                job,
                tools_of[job.blueprint.env_id],
                system_prompt=prompt,
                final_text=wording.text,
                issues=issues,
                usage=usage,
            )
        episode = open_episode(manifests[job.blueprint.env_id], directory=directory)
        try:
            if "user_simulator" in roles.clients:
                user: Any = LLMUser(
                    roles.clients["user_simulator"], job.task, job.blueprint, seed=llm.user_simulator.seed
                )
            else:
                user = ScriptedUser(job.task, job.blueprint)
            return await play_forward(
                job, episode, roles.clients["agent"], user, configs[job.blueprint.env_id]
            )
        finally:
            episode.close()

    return play


def play_jobs(
    jobs: list[Job],
    manifests: dict[str, EnvironmentManifest],
    directory: Path,
    *,
    settings: SynthesizeSettings,
    llm: LLMSettings,
    endpoint_overrides: dict[str, dict[str, str]] | None = None,
) -> tuple[list[Trajectory], EndpointDead | None]:
    """Play jobs without touching the warehouse (a mapped worker): (finished trajectories, endpoint error).

    The error is the ``EndpointDead`` (or ``EndpointRefused``) itself, so the caller re-raises its kind.
    """
    from envscale.llm.client import EndpointDead

    settings = with_synthesis_mode(settings, llm)
    done: list[Trajectory] = []

    async def main() -> EndpointDead | None:
        roles = _Roles(llm, endpoint_overrides or {}, used=roles_used(settings))
        try:
            play = _player(manifests, directory, settings, llm, roles)
            await run_jobs(jobs, play, in_flight=settings.episodes_in_flight, on_done=done.append)
        except EndpointDead as exc:  # hand back what finished; the flow writes it, then fails
            return exc
        finally:
            await roles.aclose()
        return None

    error = asyncio.run(main())
    return done, error
