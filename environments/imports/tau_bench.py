"""Import τ-bench v1 (airline, retail) as envscale environments, and replay its gold actions.

Tables come from ``tau_bench/envs/<domain>/data/*.json``; tools from
``derived/taubench_v1_tools_and_tasks.json`` (their OpenAI schemas, as
agents saw them), each backed by a hand-written program that passes the same
checker as rule-compiled ones. A tool without a program is reported, not faked.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envscale.environments.imports.imported import checked_tools, gold_order_edges, write_with_initial_state
from envscale.environments.manifest import DependencyEdge, EnvironmentManifest, environment_id

DOMAINS = ("retail", "airline")  # = registry.domains_of("tau-bench"), checked by a test
DERIVED = Path("derived") / "taubench_v1_tools_and_tasks.json"
# τ-bench's fixed clock (tau_bench/envs/airline/tools use 2024-05-15 15:00 EST).
CLOCK = "2024-05-15T15:00:00"


def _domain_module(domain: str):
    from envscale.environments.imports.registry import imported_domain

    return imported_domain("tau-bench", domain)


def derived_file(tau_root: Path) -> dict[str, Any]:
    return json.loads((Path(tau_root) / DERIVED).read_text())


def import_tau_bench(domain: str, tau_root: Path, environments_dir: Path) -> EnvironmentManifest:
    """Build (or reuse) the environment of one τ-bench domain; also writes the alias ``tau_bench_<domain>``."""
    mod = _domain_module(domain)
    tau_root = Path(tau_root)
    data_dir = tau_root / "tau_bench" / "envs" / domain / "data"
    derived = derived_file(tau_root)
    tools, kept, dropped = checked_tools(mod, derived["tools"][domain])
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(data_dir.glob("*.json")))).hexdigest()[
        :16
    ]
    env_id = environment_id(mod.SCHEMA, kept, tools, f"tau-bench:{digest}", 0)
    rows = mod.load_rows(data_dir)
    manifest = EnvironmentManifest(
        env_id=env_id,
        name=f"tau_bench_{domain}",
        origin="imported",
        tools=tuple(tools),
        programs=tuple(kept),
        edges=tuple(_edges(domain, derived)),
        db_schema=mod.SCHEMA,
        clock=CLOCK,
        table_counts={t: len(r) for t, r in rows.items()},
        dropped=tuple(dropped),
        source={
            "dataset": "tau-bench v1",
            "domain": domain,
            "data_sha256_16": digest,
            "n_tools": len(derived["tools"][domain]),
        },
    )
    environments_dir = Path(environments_dir)
    db_path = manifest.db_path(environments_dir)
    if not (db_path.is_file() and manifest.manifest_path(environments_dir).is_file()):
        manifest = write_with_initial_state(manifest, rows, environments_dir)
    else:
        manifest = EnvironmentManifest.read(manifest.manifest_path(environments_dir))
    (environments_dir / f"tau_bench_{domain}.alias").write_text(env_id)
    return manifest


def _edges(domain: str, derived: dict[str, Any]) -> list[DependencyEdge]:
    """Consecutive gold actions (A then B) as dependency edges: the order τ-bench's own tasks use tools in."""
    return gold_order_edges(
        [a["name"] for a in task["actions"]]
        for split, tasks in derived["tasks"].items()
        if split.startswith(domain)
        for task in tasks
    )


@dataclass
class ReplayReport:
    domain: str
    n_tools: int
    n_compiled: int
    n_tasks: int = 0
    n_tasks_ok: int = 0
    n_actions: int = 0
    n_actions_ok: int = 0
    failures: Counter = field(default_factory=Counter)
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def action_share(self) -> float:
        return self.n_actions_ok / self.n_actions if self.n_actions else 0.0

    @property
    def task_share(self) -> float:
        return self.n_tasks_ok / self.n_tasks if self.n_tasks else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "tools": self.n_tools,
            "tools_compiled": self.n_compiled,
            "tasks": self.n_tasks,
            "tasks_replayed": self.n_tasks_ok,
            "task_share": round(self.task_share, 4),
            "actions": self.n_actions,
            "actions_ok": self.n_actions_ok,
            "action_share": round(self.action_share, 4),
            "failures": dict(self.failures.most_common(10)),
            "examples": self.examples[:5],
        }


def gold_tasks(derived: dict[str, Any], domain: str) -> list[dict[str, Any]]:
    return [t for split, tasks in sorted(derived["tasks"].items()) if split.startswith(domain) for t in tasks]


def replay_gold(
    manifest: EnvironmentManifest,
    derived: dict[str, Any],
    *,
    directory: Path | None = None,
    limit: int | None = None,
) -> ReplayReport:
    """Replay every gold action sequence on a fresh episode; count calls (and whole tasks) that succeed."""
    from envscale.environments.runtime import open_episode

    domain = manifest.source.get("domain", manifest.name.removeprefix("tau_bench_"))
    report = ReplayReport(
        domain=domain, n_tools=len(derived["tools"][domain]), n_compiled=len(manifest.tools)
    )
    for task in gold_tasks(derived, domain)[:limit]:
        report.n_tasks += 1
        all_ok = True
        with open_episode(manifest, directory=directory) as ep:
            for action in task["actions"]:
                report.n_actions += 1
                result = ep.call(action["name"], action["kwargs"])
                if result.ok:
                    report.n_actions_ok += 1
                    continue
                all_ok = False
                report.failures[f"{action['name']}: {result.error_code}: {(result.error or '')[:80]}"] += 1
                if len(report.examples) < 20:
                    report.examples.append(
                        {"tool": action["name"], "arguments": action["kwargs"], "error": result.error}
                    )
        report.n_tasks_ok += all_ok
    return report
