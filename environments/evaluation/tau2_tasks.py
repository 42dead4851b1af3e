"""τ²-bench tasks under test: a domain's tasks of one split, judged in τ²'s terms.

τ²'s reward is the product of its ``reward_basis`` (default ``DB`` and ``COMMUNICATE``): DB = the
final state equals the state after replaying the gold actions on a fresh environment (here: the
gold state hash), COMMUNICATE = every ``communicate_info`` string appears in an agent message
(lower-cased, commas dropped: envscale's ``outputs`` check). Gold actions that fail in the
replay leave the state as it was, as in τ² (its tools raise; the state is unchanged); a gold
call of a tool envscale cannot run (``calculate``) changes no state and is left out of the gold
calls. Natural-language assertions are kept on the task as *not judged* and counted in the
report, never passed. A task whose reward_basis needs ENV_ASSERTION/ACTION/NL_ASSERTION is
skipped with that reason. ``policy.md`` is every task's agent system prompt.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from envscale.environments.evaluation.dual_control import DualControlEpisode, SetupError
from envscale.environments.evaluation.records import EvalTask, SkippedTask
from envscale.environments.evaluation.tasks import TaskSet, replayed_records
from envscale.environments.imports.tau2_data import Tau2Domain, Tau2Task, find_domains, load_tasks
from envscale.environments.imports.tau2_device import load_user_state
from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.synthesis.records import Blueprint, GoldCall, Task
from envscale.errors import InputError, MissingPrerequisite
from envscale.hashing import content_hash

PREFIX = "tau2_"
DEFAULT_BASIS = ("DB", "COMMUNICATE")
JUDGED = {"DB", "COMMUNICATE", "ENV_ASSERTION", "ACTION"}


def basis(task: Tau2Task) -> tuple[str, ...]:
    return task.reward_basis or DEFAULT_BASIS


def tau2_eval_tasks(
    manifest: EnvironmentManifest,
    db_path: Path,
    domain: Tau2Domain,
    *,
    split: str | None,
    limit: int,
    seed: int,
) -> TaskSet:
    """Up to ``limit`` tasks of ``split`` (None: all), drawn by seed, each with its gold state."""
    name = PREFIX + domain.name
    out = TaskSet(envs={manifest.env_id: (manifest, db_path)})
    tasks = [t for t in load_tasks(domain) if split is None or split in t.splits]
    if split is not None and not tasks:
        out.skipped.append(SkippedTask(ref=f"{name}:{split}", domain=name, reason=f"no_split: {split}"))
        return out
    tasks.sort(key=lambda t: content_hash({"seed": seed, "task": t.task_id, "domain": name}))
    user_state = load_user_state(domain.folder) if domain.dual_control else None
    for task in tasks:
        if len(out.tasks) >= limit:
            break
        ref = f"{name}:{task.task_id}"
        unjudged = sorted(set(basis(task)) - JUDGED)
        if unjudged:
            reason = f"not_judged: reward_basis needs {', '.join(unjudged)} (envscale judges {', '.join(sorted(JUDGED))})"
            out.skipped.append(SkippedTask(ref=ref, domain=name, reason=reason))
            continue
        if task.initialization and user_state is None:
            reason = "setup_unsupported: initialization actions outside a dual-control domain"
            out.skipped.append(SkippedTask(ref=ref, domain=name, reason=reason))
            continue
        try:
            out.tasks.append(_eval_task(manifest, db_path, domain, task, seed, user_state))
        except SetupError as exc:
            out.skipped.append(SkippedTask(ref=ref, domain=name, reason=f"setup_failed: {exc}"[:300]))
    return out


def _eval_task(
    manifest: EnvironmentManifest,
    db_path: Path,
    domain: Tau2Domain,
    task: Tau2Task,
    seed: int,
    user_state: dict[str, Any] | None = None,
) -> EvalTask:
    from envscale.environments.runtime import open_episode

    kinds = {t.name: t.kind for t in manifest.tools}
    calls: list[GoldCall] = []
    live = open_episode(manifest, db_path=db_path)
    with contextlib.closing(live):
        ep: Any = live
        if user_state is not None:
            ep = DualControlEpisode(live, user_state)
            ep.setup(task.initialization)
        for action in task.actions:
            if action.requestor == "user" and user_state is not None:
                ep.user_call(action.name, action.arguments)  # a failing gold action keeps the state, as in τ²
                continue
            if action.requestor != "assistant" or action.name not in kinds:
                continue  # no state of ours changes (calculate, or a user-side tool)
            before = ep.state_hash()
            result = ep.call(action.name, action.arguments)
            calls.append(
                GoldCall(
                    name=action.name,
                    arguments=action.arguments,
                    kind=kinds[action.name],
                    ok=result.ok,
                    result=json.loads(json.dumps(result.content if result.ok else result.error, default=str)),
                    changed_state=ep.state_hash() != before,
                )
            )
        gold_hash = ep.state_hash()
        gold_diff = tuple(c.model_dump(mode="json") for c in ep.diff())
    name = PREFIX + domain.name
    bp, record = replayed_records(
        manifest.env_id,
        calls,
        gold_state_hash=gold_hash,
        gold_diff=gold_diff,
        seed=seed,
        suffix=str(task.task_id),
        task_key={"tau2": name, "id": task.task_id},
        instruction=task.instructions,
    )
    rewards = basis(task)
    communicate = task.communicate_info if "COMMUNICATE" in rewards else ()
    actions = tuple(a.model_dump(mode="json") for a in task.actions)
    return EvalTask(
        task=record,
        blueprint=bp,
        domain=name,
        source="tau2",
        exact_reads=False,  # τ²'s DB check does not ask read-only calls to match
        outputs=tuple(communicate),
        system_prompt=domain.policy or None,
        not_judged=task.nl_assertions,
        check_state="DB" in rewards,
        user_state=user_state,
        setup=task.initialization,
        user_actions=tuple(a for a in actions if a["requestor"] == "user"),
        env_assertions=task.env_assertions if "ENV_ASSERTION" in rewards else (),
        gold_actions=actions if "ACTION" in rewards else (),
    )


def import_tau2_tasks(
    path: Path | None, environments_dir: Path, domains: list[str], *, split: str | None, limit: int, seed: int
) -> TaskSet:
    """Import (or reuse) each requested τ² domain (all importable ones when ``domains`` is empty) and draw
    its tasks; a domain that is missing or cannot be imported is a skip with the reason."""
    from envscale.environments.imports.tau2 import import_tau2, supported_domains

    out = TaskSet()
    try:
        found = {d.name: d for d in find_domains(path)}
    except FileNotFoundError as exc:
        for name in domains or ["tau2"]:
            out.skipped.append(SkippedTask(ref=name, domain=PREFIX + name, reason=f"no_data: {exc}"))
        return out
    wanted = domains or [n for n in found if n in supported_domains()]
    for name in wanted:
        if name not in found:
            out.skipped.append(
                SkippedTask(
                    ref=name,
                    domain=PREFIX + name,
                    reason=f"no_data: no τ² domain {name!r} (found {sorted(found)})",
                )
            )
            continue
        try:
            manifest = import_tau2(found[name], environments_dir)
        except (ValueError, OSError, KeyError) as exc:
            reason = f"import_failed: {type(exc).__name__}: {exc}"[:300]
            out.skipped.append(SkippedTask(ref=name, domain=PREFIX + name, reason=reason))
            continue
        db_path = manifest.db_path(Path(environments_dir))
        out.extend(tau2_eval_tasks(manifest, db_path, found[name], split=split, limit=limit, seed=seed))
    return out


def tau2_training_tasks(
    manifest: EnvironmentManifest, directory: Path, *, split: str, limit: int, seed: int
) -> tuple[list[Blueprint], list[Task]] | None:
    """The blueprints and tasks of one split of an imported τ² environment, for synthesis (training data).

    The test split is refused: it is what ``evaluate --tau2`` measures. A dual-control domain (telecom)
    gives None: synthesis plays without the user's device, so it cannot train on it yet.
    limit 0 = every task of the split.
    """
    if split == "test":
        raise InputError("τ² test tasks are evaluation data: train on 'train' (or 'base')")
    folder = Path(str(manifest.source.get("folder", "")))
    try:
        domain = find_domains(folder)[0]
    except FileNotFoundError as exc:
        raise MissingPrerequisite(
            f"τ² data of {manifest.name} is gone ({exc}); import it again with envscale build --tau2 PATH"
        ) from None
    if domain.dual_control:
        return None
    task_set = tau2_eval_tasks(
        manifest, manifest.db_path(Path(directory)), domain, split=split, limit=limit or 10**9, seed=seed
    )
    return [t.blueprint for t in task_set.tasks], [t.task for t in task_set.tasks]
