"""Prefect tasks of the synthesize stage: thin wrappers over ``envscale.environments.synthesis``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from envscale.config import LLMSettings, SynthesizeSettings
from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.synthesis.run import SynthesisReport, synthesize_environments
from envscale.warehouse import Warehouse


@task(name="load-environments", cache_policy=NO_CACHE)
def load_environments_task(
    warehouse: Warehouse, selected: list[str]
) -> list[tuple[EnvironmentManifest, Path]]:
    """Accepted environments (all, or the selected env_ids/names) with the folder of their DuckDB file."""
    with warehouse.connect() as con:
        rows = con.execute(
            "SELECT env_id, name, path, manifest FROM environments WHERE status = 'accepted' ORDER BY env_id"
        ).fetchall()
    out = []
    for env_id, name, path, manifest in rows:
        if selected and env_id not in selected and name not in selected:
            continue
        out.append((EnvironmentManifest.model_validate(json.loads(manifest)), Path(path).parent))
    return out


@task(name="synthesize-environments", cache_policy=NO_CACHE)
def synthesize_task(
    warehouse: Warehouse,
    environments: list[tuple[EnvironmentManifest, Path]],
    settings: SynthesizeSettings,
    llm: LLMSettings,
    run_id: str,
    endpoint_overrides: dict[str, dict[str, str]],
    progress: Any = None,
) -> SynthesisReport:
    """Blueprints → tasks → trajectories, grouped per environment folder; resumable."""
    report = SynthesisReport()
    by_dir: dict[Path, list[EnvironmentManifest]] = {}
    for manifest, directory in environments:
        by_dir.setdefault(directory, []).append(manifest)
    for directory, manifests in by_dir.items():
        part = synthesize_environments(
            warehouse,
            manifests,
            directory,
            settings=settings,
            llm=llm,
            run_id=run_id,
            endpoint_overrides=endpoint_overrides,
            progress=progress,
        )
        report = _merge(report, part)
    return report


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
    a.by_domain_termination.update(b.by_domain_termination)
    for role, usage in b.llm_usage.items():
        mine = a.llm_usage.setdefault(role, {})
        for k, v in usage.items():
            if isinstance(v, int | float):
                mine[k] = mine.get(k, 0) + v
    a.wall_s += b.wall_s
    return a
