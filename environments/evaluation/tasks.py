"""The task set under test: held-out generated environments, and imported τ-bench tasks.

Held-out environments are the ones the latest training export held out (the
``datasets`` table) less any that an export of the same split family trained on —
a model trained on an earlier export must not be evaluated on its own training
environments; before any export, every accepted environment. Only environments still
``accepted`` are played: one a later build marked ``superseded`` is skipped with that reason
(its data stays on the side of the split it was on; it is just no longer played). Their
tasks are the blueprints and instructions synthesis stored. τ-bench tasks are replayed once on a fresh episode to get their gold
state; a task whose gold actions do not replay is skipped with the reason.
Selection is deterministic in the seed, so two models see the same tasks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envscale.environments.evaluation.records import EvalTask, SkippedTask
from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.store.datasets import latest_heldout, split_history, trained_env_ids
from envscale.environments.store.environments import accepted_env_ids, stored_environments
from envscale.environments.synthesis import store
from envscale.environments.synthesis.intents import template_task
from envscale.environments.synthesis.records import Blueprint, GoldCall, Task
from envscale.hashing import content_hash
from envscale.warehouse import Warehouse

TAU_PREFIX = "tau_bench_"


@dataclass
class TaskSet:
    """Tasks to play, the environments they run on (manifest, DuckDB file), and what was left out."""

    tasks: list[EvalTask] = field(default_factory=list)
    envs: dict[str, tuple[EnvironmentManifest, Path]] = field(default_factory=dict)
    skipped: list[SkippedTask] = field(default_factory=list)

    def extend(self, other: TaskSet) -> TaskSet:
        self.tasks += other.tasks
        self.envs.update(other.envs)
        self.skipped += other.skipped
        return self

    @property
    def task_ids(self) -> list[str]:
        return [t.task_id for t in self.tasks]

    def subset(self, tasks: Sequence[EvalTask]) -> TaskSet:
        """These tasks (of this set) with only the environments they play."""
        tasks = list(tasks)
        return TaskSet(tasks=tasks, envs={t.blueprint.env_id: self.envs[t.blueprint.env_id] for t in tasks})


def heldout_env_ids(wh: Warehouse) -> list[str]:
    """The latest export's held-out set less anything its split family trained on; without a held-out
    record, the accepted environments no training split used."""
    latest = latest_heldout(wh)
    if latest is None:  # no held-out record: whatever no training split used
        trained = trained_env_ids(wh)
        return sorted(e for e in accepted_env_ids(wh) if e not in trained)
    trained = split_history(wh, latest.split_key).trained
    return sorted(e for e in latest.env_ids if e not in trained)


def heldout_tasks(wh: Warehouse, env_ids: list[str], *, max_tasks: int, seed: int) -> TaskSet:
    """Up to ``max_tasks`` stored tasks of these environments, spread round-robin over them."""
    out = TaskSet()
    if not env_ids:
        return out
    found = stored_environments(wh, env_ids=env_ids, status=None)
    # Held out by the export but no longer accepted (a later build superseded it): not
    # played, and said so, instead of silently shrinking the task set.
    for env in found:
        if env.status != "accepted":
            out.skipped.append(
                SkippedTask(
                    ref=env.env_id,
                    domain=env.domain,
                    reason=f"{env.status}: no longer an accepted environment (rebuilt since the export;"
                    " the next training export holds out from the current ones)",
                )
            )
    per_env: list[list[EvalTask]] = []
    for env in (e for e in found if e.status == "accepted"):
        env_id, domain = env.env_id, env.domain
        if env.name.startswith(TAU_PREFIX):  # τ-bench is evaluated on its own tasks
            continue
        blueprints = store.load_blueprints(wh, env_id)
        if not blueprints:
            out.skipped.append(
                SkippedTask(ref=env_id, domain=domain, reason="no_blueprints: run synthesize on it")
            )
            continue
        out.envs[env_id] = (env.manifest, env.path)
        known = store.load_tasks(wh, env_id)
        items = [
            EvalTask(
                task=known.get(bp.blueprint_id) or template_task(bp),
                blueprint=bp,
                domain=domain,
                source="heldout",
            )
            for bp in blueprints
        ]
        items.sort(key=lambda t: content_hash({"seed": seed, "task": t.task_id}))
        per_env.append(items)
    for i in range(max(map(len, per_env), default=0)):  # round-robin: every environment is represented
        for items in per_env:
            if i < len(items) and len(out.tasks) < max_tasks:
                out.tasks.append(items[i])
    return out


def replayed_records(
    env_id: str,
    calls: list[GoldCall],
    *,
    gold_state_hash: str,
    gold_diff: tuple[dict[str, Any], ...],
    seed: int,
    suffix: str,
    task_key: dict[str, Any],
    instruction: str,
) -> tuple[Blueprint, Task]:
    """The blueprint and task of a benchmark task whose gold calls were replayed. ``suffix`` (the
    task's index or id) keeps two tasks with the same calls apart; ``task_key`` names the task in
    its benchmark, and with the instruction makes the task id."""
    bp = Blueprint(
        blueprint_id=Blueprint.make_id(env_id, calls) + f"-{suffix}",
        env_id=env_id,
        calls=tuple(calls),
        read_only=all(c.kind == "read" for c in calls),
        gold_state_hash=gold_state_hash,
        gold_diff=gold_diff,
        seed=seed,
    )
    task = Task(
        task_id=content_hash({**task_key, "instruction": instruction}),
        blueprint_id=bp.blueprint_id,
        env_id=env_id,
        instruction=instruction,
        writer="template",
        fallback_reason=None,
    )
    return bp, task


def tau_bench_tasks(
    manifest: EnvironmentManifest,
    db_path: Path,
    tasks: list[dict[str, Any]],
    *,
    limit: int,
    seed: int,
) -> TaskSet:
    """Up to ``limit`` τ-bench tasks (drawn by seed) whose gold actions replay on a fresh episode."""
    from envscale.environments.runtime import open_episode

    domain = manifest.name
    out = TaskSet(envs={manifest.env_id: (manifest, db_path)})
    order = sorted(range(len(tasks)), key=lambda i: content_hash({"seed": seed, "i": i, "domain": domain}))
    kinds = {t.name: t.kind for t in manifest.tools}
    for index in order:
        if len(out.tasks) >= limit:
            break
        raw = tasks[index]
        ref = f"{domain}:{index}"
        calls: list[GoldCall] = []
        with open_episode(manifest, db_path=db_path) as ep:
            failure = None
            for action in raw.get("actions") or []:
                if action["name"] not in kinds:
                    failure = f"tool_not_compiled: {action['name']}"
                    break
                before = ep.state_hash()
                result = ep.call(action["name"], action.get("kwargs") or {})
                if not result.ok:
                    failure = f"gold_replay_failed: {action['name']}: {result.error_code}: {(result.error or '')[:120]}"
                    break
                calls.append(
                    GoldCall(
                        name=action["name"],
                        arguments=action.get("kwargs") or {},
                        kind=kinds[action["name"]],
                        ok=True,
                        result=json.loads(json.dumps(result.content, default=str)),
                        changed_state=ep.state_hash() != before,
                    )
                )
            if failure is None:
                gold_hash = ep.state_hash()
                gold_diff = tuple(c.model_dump(mode="json") for c in ep.diff())
        if failure is not None:
            out.skipped.append(SkippedTask(ref=ref, domain=domain, reason=failure))
            continue
        bp, task = replayed_records(
            manifest.env_id,
            calls,
            gold_state_hash=gold_hash,
            gold_diff=gold_diff,
            seed=seed,
            suffix=str(index),
            task_key={"tau_bench": domain, "index": index},
            instruction=raw["instruction"],
        )
        outputs = tuple(str(o) for o in raw.get("outputs") or ())
        out.tasks.append(
            EvalTask(
                task=task, blueprint=bp, domain=domain, source="tau_bench", exact_reads=False, outputs=outputs
            )
        )
    return out


def import_tau_bench_tasks(
    shared_data: Path, environments_dir: Path, domains: list[str], *, split: str, limit: int, seed: int
) -> TaskSet:
    """Import (or reuse) each τ-bench domain's environment and draw its tasks; a missing domain is a skip."""
    from envscale.environments.imports.tau_bench import derived_file, import_tau_bench

    root = Path(shared_data) / "tau-bench"
    out = TaskSet()
    try:
        derived = derived_file(root)
    except OSError as exc:
        for domain in domains:
            out.skipped.append(SkippedTask(ref=domain, domain=TAU_PREFIX + domain, reason=f"no_data: {exc}"))
        return out
    for domain in domains:
        key = f"{domain}/tasks_{split}"
        if key not in derived["tasks"]:
            out.skipped.append(SkippedTask(ref=key, domain=TAU_PREFIX + domain, reason=f"no_split: {key}"))
            continue
        try:
            manifest = import_tau_bench(domain, root, environments_dir)
        except (ImportError, NotImplementedError, ValueError, OSError) as exc:
            reason = f"import_failed: {type(exc).__name__}: {exc}"[:300]
            out.skipped.append(SkippedTask(ref=domain, domain=TAU_PREFIX + domain, reason=reason))
            continue
        db_path = manifest.db_path(Path(environments_dir))
        out.extend(tau_bench_tasks(manifest, db_path, derived["tasks"][key], limit=limit, seed=seed))
    return out
