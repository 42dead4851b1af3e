"""Import τ²-bench domains (retail, airline) as envscale environments.

Rows come from the domain's ``db.json`` (found by ``tau2_data``), tools from the schema table
``tau2_tools.json`` (τ²'s tools are Python, see ``tau2_tools``), each backed by the domain
module's checked program (registry ``("tau2", domain)``); a tool without one is reported as
dropped, never faked. The environment is named ``tau2_<domain>`` (alias file of that name).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from envscale.environments.imports.imported import checked_tools, gold_order_edges, write_with_initial_state
from envscale.environments.imports.registry import domains_of, imported_domain
from envscale.environments.imports.tau2_data import Tau2Domain, load_tasks
from envscale.environments.imports.tau2_tools import tool_schemas
from envscale.environments.manifest import DependencyEdge, EnvironmentManifest, environment_id

CLOCK = "2024-05-15T15:00:00"  # τ²'s airline _get_datetime; retail has no clock


def supported_domains() -> tuple[str, ...]:
    return domains_of("tau2")


def import_tau2(domain: Tau2Domain, environments_dir: Path) -> EnvironmentManifest:
    """Build (or reuse) the environment of one τ² domain; ValueError for a domain envscale cannot import."""
    mod = imported_domain("tau2", domain.name)
    specs = tool_schemas(domain.name)
    tools, kept, dropped = checked_tools(mod, specs)
    digest = hashlib.sha256(domain.db_file.read_bytes()).hexdigest()[:16]
    env_id = environment_id(mod.SCHEMA, kept, tools, f"tau2:{digest}", 0)
    environments_dir = Path(environments_dir)
    name = f"tau2_{domain.name}"
    manifest_path = environments_dir / f"{env_id}.json"
    if manifest_path.is_file() and (environments_dir / f"{env_id}.duckdb").is_file():
        manifest = EnvironmentManifest.read(manifest_path)
    else:
        rows = mod.load_rows(domain.folder)
        manifest = EnvironmentManifest(
            env_id=env_id,
            name=name,
            origin="imported",
            tools=tuple(tools),
            programs=tuple(kept),
            edges=tuple(_edges(domain)),
            db_schema=mod.SCHEMA,
            clock=CLOCK,
            table_counts={t: len(r) for t, r in rows.items()},
            dropped=tuple(dropped),
            policy=domain.policy,
            source={
                "dataset": "tau2",
                "domain": domain.name,
                "folder": str(domain.folder),
                "data_sha256_16": digest,
                "n_tools": len(specs),
            },
        )
        manifest = write_with_initial_state(manifest, rows, environments_dir)
    if manifest.policy != domain.policy:  # a manifest stored before the policy was kept: add it
        manifest = manifest.model_copy(update={"policy": domain.policy})
        manifest.write(environments_dir)
    (environments_dir / f"{name}.alias").write_text(env_id)
    return manifest


def _edges(domain: Tau2Domain) -> list[DependencyEdge]:
    """Consecutive gold actions of the agent (A then B) as dependency edges."""
    return gold_order_edges(
        [a.name for a in task.actions if a.requestor == "assistant"] for task in load_tasks(domain)
    )
