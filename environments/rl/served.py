"""Which environments to serve, and their tasks: accepted environments from the warehouse, by name or id.

A generated environment's tasks are its stored blueprints and instructions (as
evaluation reads them); an imported τ-bench environment's tasks are τ-bench's own
(test split), replayed once for their gold state, as evaluation does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envscale.environments.evaluation.records import EvalTask, SkippedTask
from envscale.environments.evaluation.tasks import TAU_PREFIX, TaskSet
from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.rl.episode_env import TaskEnv
from envscale.environments.store.environments import StoredEnvironment, stored_environments
from envscale.environments.synthesis.interplay import AGENT_SYSTEM
from envscale.errors import InputError


@dataclass(frozen=True)
class ServedEnvironment:
    """One environment to serve: its manifest, DuckDB file and tasks."""

    name: str
    manifest: EnvironmentManifest
    db_path: Path
    tasks: dict[str, EvalTask]
    policy: str = AGENT_SYSTEM
    skipped: tuple[SkippedTask, ...] = field(default=())

    @property
    def env_id(self) -> str:
        return self.manifest.env_id

    def make_env(self) -> TaskEnv:
        return TaskEnv(self.manifest, self.db_path, self.tasks, policy=self.policy)

    def describe(self) -> str:
        return (
            f"envscale environment {self.name} ({self.env_id}): {len(self.manifest.tools)} tools, "
            f"{len(self.tasks)} tasks. Call envscale.reset with a task id (envscale.tasks lists them), "
            "then the tools; envscale.reward gives the judge's verdict."
        )

    @classmethod
    def from_task_set(cls, task_set: TaskSet, env_id: str, **kw: Any) -> ServedEnvironment:
        manifest, db_path = task_set.envs[env_id]
        tasks = {t.task_id: t for t in task_set.tasks if t.blueprint.env_id == env_id}
        kw.setdefault(
            "policy", manifest.system_prompt(AGENT_SYSTEM)
        )  # the environment's rules, when it has some
        return cls(
            name=kw.pop("name", manifest.name), manifest=manifest, db_path=Path(db_path), tasks=tasks, **kw
        )


class UnknownEnvironment(InputError, LookupError):
    """A requested environment is not an accepted one."""


def resolve_environments(
    wh: Any, refs: list[str], *, shared_data: Path | None, seed: int = 0
) -> list[ServedEnvironment]:
    """Accepted environments named by env id or name (every match of a name), with their tasks."""
    from envscale.environments.evaluation.tasks import heldout_tasks, tau_bench_tasks

    rows = sorted(stored_environments(wh, read_only=True), key=lambda e: (e.name, e.env_id))
    chosen: dict[str, StoredEnvironment] = {}
    for ref in refs:
        hits = [e for e in rows if ref in (e.env_id, e.name)]
        if not hits:
            known = ", ".join(sorted({e.name for e in rows})) or "none (build first)"
            raise UnknownEnvironment(f"no accepted environment {ref!r}; accepted: {known}")
        chosen.update({e.env_id: e for e in hits})
    out: list[ServedEnvironment] = []
    for env in chosen.values():
        env_id, name, path, manifest = env.env_id, env.name, env.path, env.manifest
        if name.startswith(TAU_PREFIX):
            task_set = _tau_bench_task_set(manifest, Path(path), shared_data, seed, tau_bench_tasks)
        else:
            task_set = heldout_tasks(wh, [env_id], max_tasks=10**9, seed=seed)
        if env_id not in task_set.envs:  # no stored tasks: served, and reset names none
            task_set = TaskSet(envs={env_id: (manifest, Path(path))}, skipped=task_set.skipped)
        out.append(
            ServedEnvironment.from_task_set(task_set, env_id, name=name, skipped=tuple(task_set.skipped))
        )
    return out


def _tau_bench_task_set(
    manifest: EnvironmentManifest, db_path: Path, shared_data: Path | None, seed: int, tau_bench_tasks: Any
) -> TaskSet:
    from envscale.environments.imports.tau_bench import derived_file

    env_id, name = manifest.env_id, manifest.name
    domain = name.removeprefix(TAU_PREFIX)
    try:
        derived = derived_file(Path(shared_data or "") / "tau-bench")
        raw = derived["tasks"][f"{domain}/tasks_test"]
    except (OSError, KeyError) as exc:
        return TaskSet(
            envs={env_id: (manifest, db_path)},
            skipped=[SkippedTask(ref=name, domain=name, reason=f"no_data: {type(exc).__name__}: {exc}")],
        )
    return tau_bench_tasks(manifest, db_path, raw, limit=len(raw), seed=seed)


__all__ = ["ServedEnvironment", "UnknownEnvironment", "resolve_environments"]
