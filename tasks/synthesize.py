"""Prefect tasks of the synthesize stage: thin wrappers over ``envscale.environments.synthesis``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from envscale.config import LLMSettings, SynthesizeSettings
from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.store.environments import stored_environments
from envscale.environments.synthesis.interplay import Job
from envscale.environments.synthesis.records import Trajectory
from envscale.environments.synthesis.run import SynthesisReport, play_jobs, synthesize_environments
from envscale.llm.client import EndpointDead, EndpointRefused
from envscale.tasks.fanout import deal, fan_out
from envscale.tasks.selection import select_environments
from envscale.warehouse import Warehouse


@task(name="load-environments", cache_policy=NO_CACHE)
def load_environments_task(
    warehouse: Warehouse, selected: list[str]
) -> list[tuple[EnvironmentManifest, Path]]:
    """Accepted environments (all, or the ones ``selected`` names by env_id or name) with the folder
    of their DuckDB file; a selected value that names none is a UsageError, not a smaller run."""
    envs = stored_environments(warehouse)
    if selected:
        known = [(e.env_id, e.name) for e in envs]
        wanted = set(select_environments(selected, known, "an accepted environment"))
        envs = [e for e in envs if e.env_id in wanted]
    return [(env.manifest, env.folder) for env in envs]


@task(name="synthesize-environments", cache_policy=NO_CACHE)
def synthesize_task(
    warehouse: Warehouse,
    environments: list[tuple[EnvironmentManifest, Path]],
    settings: SynthesizeSettings,
    llm: LLMSettings,
    run_id: str,
    endpoint_overrides: dict[str, dict[str, str]],
    progress: Any = None,
    map_workers: int | None = None,
) -> SynthesisReport:
    """Blueprints → tasks → trajectories, grouped per environment folder; resumable.

    map_workers: play the episodes in that many mapped ``play-episodes`` tasks on
    the flow's task runner (Dask/Ray processes); None plays them here, streaming.
    """
    report = SynthesisReport()
    by_dir: dict[Path, list[EnvironmentManifest]] = {}
    for manifest, directory in environments:
        by_dir.setdefault(directory, []).append(manifest)
    for directory, manifests in by_dir.items():
        mapper = None
        if map_workers:
            mapper = _mapper(manifests, directory, settings, llm, endpoint_overrides, map_workers)
        part = synthesize_environments(
            warehouse,
            manifests,
            directory,
            settings=settings,
            llm=llm,
            run_id=run_id,
            endpoint_overrides=endpoint_overrides,
            progress=progress,
            mapper=mapper,
        )
        report = _merge(report, part)
    return report


@task(name="play-episodes", cache_policy=NO_CACHE)
def play_jobs_task(
    jobs: list[Job],
    manifests: dict[str, EnvironmentManifest],
    directory: Path,
    settings: SynthesizeSettings,
    llm: LLMSettings,
    endpoint_overrides: dict[str, dict[str, str]],
) -> tuple[list[Trajectory], EndpointDead | None]:
    """Play a chunk of episodes; returns the trajectories and the endpoint error (workers never write the warehouse)."""
    return play_jobs(
        jobs, manifests, directory, settings=settings, llm=llm, endpoint_overrides=endpoint_overrides
    )


def _mapper(manifests, directory, settings, llm, overrides, workers):
    """Jobs dealt into ``workers`` chunks, mapped over the flow's task runner; yields trajectories back.

    A chunk's endpoint error is re-raised as it was (``EndpointRefused`` stays a refusal) after
    every chunk's finished trajectories were handed on; a refusal wins over a dead endpoint.
    """
    by_id = {m.env_id: m for m in manifests}

    def run(jobs: list[Job]):
        def args(_: int, chunk: list[Job]) -> tuple[tuple, dict]:
            envs = {j.blueprint.env_id: by_id[j.blueprint.env_id] for j in chunk}
            return (chunk, envs, directory, settings, llm, overrides), {}

        results = fan_out(play_jobs_task, deal(jobs, workers), args)
        errors = []
        for trajectories, error in results:
            yield from trajectories
            if error:
                errors.append(error)
        if errors:
            raise next((e for e in errors if isinstance(e, EndpointRefused)), errors[0])

    return run


def _merge(a: SynthesisReport, b: SynthesisReport) -> SynthesisReport:
    a.environments += b.environments
    a.blueprints_kept += b.blueprints_kept
    a.blueprints_dropped += b.blueprints_dropped
    a.drop_reasons.update(b.drop_reasons)
    a.tasks += b.tasks
    a.task_fallbacks += b.task_fallbacks
    a.planned += b.planned
    a.skipped_existing += b.skipped_existing
    a.played += b.played
    a.retried += b.retried
    a.endpoint_failed += b.endpoint_failed
    a.endpoint_failure_example = a.endpoint_failure_example or b.endpoint_failure_example
    a.by_domain_termination.update(b.by_domain_termination)
    for role, usage in b.llm_usage.items():
        mine = a.llm_usage.setdefault(role, {})
        for k, v in usage.items():
            if isinstance(v, int | float):
                mine[k] = mine.get(k, 0) + v
    a.wall_s += b.wall_s
    return a
