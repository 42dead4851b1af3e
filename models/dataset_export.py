"""Accepted trajectories → Hugging Face Parquet datasets for two-stage SFT, split by environment.

Rows carry ``messages`` (OpenAI chat format, tool calls included) and ``tools``;
``tools`` and every tool-call ``arguments`` are JSON strings, because Arrow would
otherwise merge the keys of different dicts into one struct. Environments, never
trajectories, are split: an environment's place is a function of its id and the
seed, and the ``datasets`` table's history of the same seed and fraction keeps it
there — once held out, held out (unless its group would otherwise train on
nothing); once trained on, never the fallback test set. Imported environments (e.g. τ-bench) are evaluation sets unless
picked as vertical.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from envscale.config import TrainSettings
from envscale.environments.store.datasets import (
    DatasetRecord,
    EnvInfo,
    SplitHistory,
    SplitName,
    accepted_trajectories,
    export_environments,
    record_exports,
    split_history,
)
from envscale.errors import MissingPrerequisite
from envscale.hashing import content_hash
from envscale.warehouse import Warehouse

SPLITS: tuple[SplitName, ...] = ("stage1", "stage2", "heldout")
_ROLES = {"system", "user", "assistant", "tool"}


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class EnvSplit(_Record):
    """The recorded, deterministic assignment of environments to stages."""

    seed: int = Field(description="Seed of the hash-based split.")
    heldout_fraction: float = Field(description="Target share of environments held out per group.")
    vertical: tuple[str, ...] = Field(description="Selectors that picked the stage-2 environments.")
    general: tuple[str, ...] = Field(description="Stage-1 training environments.")
    vertical_envs: tuple[str, ...] = Field(description="Stage-2 training environments.")
    heldout: tuple[str, ...] = Field(
        description="Held-out environments (never trained on), imported ones included."
    )

    @property
    def digest(self) -> str:
        return content_hash(self.model_dump(mode="json"))


class ExportedSplit(_Record):
    """One Parquet file and its `datasets` row."""

    split: SplitName = Field(description="stage1 (general), stage2 (vertical) or heldout.")
    dataset_id: str = Field(description="Digest of the split name and its exported rows.")
    path: str = Field(description="Parquet file.")
    n_rows: int = Field(description="Trajectories exported.")
    env_ids: tuple[str, ...] = Field(description="Environments whose trajectories it may hold.")


class Skipped(_Record):
    trajectory_id: str = Field(description="The trajectory left out.")
    reason: str = Field(description="Why it could not be exported.")


class ExportResult(_Record):
    split: EnvSplit = Field(description="The environment split used.")
    splits: dict[str, ExportedSplit] = Field(description="Exported splits by name.")
    skipped: tuple[Skipped, ...] = Field(description="Accepted trajectories that could not be converted.")

    @property
    def env_ids_hash(self) -> str:
        return content_hash(sorted(self.split.general + self.split.vertical_envs))

    @property
    def dataset_hash(self) -> str:
        return content_hash([self.splits[s].dataset_id for s in ("stage1", "stage2")])


class ExportError(MissingPrerequisite, ValueError):
    """Nothing trainable could be exported."""


# -- selection ---------------------------------------------------------------
def matches_vertical(env: EnvInfo, selectors: list[str] | tuple[str, ...]) -> bool:
    """A selector is a domain or env id, or a glob over env name, domain name and domain tags."""
    names = [n.lower() for n in (env.name, env.domain_name or "", *env.tags) if n]
    for selector in selectors:
        if selector in (env.env_id, env.domain_id):
            return True
        if any(fnmatch.fnmatchcase(n, selector.lower()) for n in names):
            return True
    return False


def split_environments(
    envs: list[EnvInfo], settings: TrainSettings, history: SplitHistory | None = None
) -> EnvSplit:
    """Deterministic split: vertical vs general by selector, then a held-out share per group.

    An environment is held out when its hash score is below ``heldout_fraction`` or an
    earlier export (``history``) held it out, so adding environments or changing the
    selectors never moves a test environment into training. A group of >= 2 accepted
    environments with none of them held out holds out its lowest-scoring one never
    trained on (superseded environments cannot be evaluated); a group is
    never held out whole (the vertical pick is what the user asked to train on).
    """
    history = history or SplitHistory()
    vertical = [e for e in envs if settings.vertical and matches_vertical(e, settings.vertical)]
    picked = {e.env_id for e in vertical}
    # Imported environments are benchmarks: evaluated, never trained on, unless chosen as vertical.
    general = [e for e in envs if e.env_id not in picked and e.origin != "imported"]
    imported = [e.env_id for e in envs if e.env_id not in picked and e.origin == "imported"]
    heldout: list[str] = list(imported)
    train: dict[str, list[str]] = {}

    def score(env_id: str) -> float:
        return _score(env_id, settings.split_seed)

    for group, members in (("general", general), ("vertical", vertical)):
        ids = sorted(e.env_id for e in members)
        held = {i for i in ids if settings.heldout_fraction > 0 and score(i) < settings.heldout_fraction}
        held |= set(ids) & set(history.heldout)
        # The test-set fallback looks at live environments: a superseded one cannot be evaluated.
        live = [e.env_id for e in members if e.status == "accepted"]
        fresh = [i for i in live if i not in history.trained]
        if not held & set(live) and len(live) >= 2 and settings.heldout_fraction > 0 and fresh:
            held.add(min(fresh, key=score))  # small catalogs still get a test set
        if ids and held >= set(ids):  # keep the group trainable: release new ones first, else the top score
            released = set(ids) - set(history.heldout) or {max(ids, key=score)}
            held -= released
        heldout += sorted(held)
        train[group] = [i for i in ids if i not in held]
    return EnvSplit(
        seed=settings.split_seed,
        heldout_fraction=settings.heldout_fraction,
        vertical=tuple(settings.vertical),
        general=tuple(train["general"]),
        vertical_envs=tuple(train["vertical"]),
        heldout=tuple(sorted(heldout)),
    )


def split_key(settings: TrainSettings) -> str:
    """The split family: exports that share it keep their held-out environments held out."""
    return f"seed={settings.split_seed};heldout_fraction={settings.heldout_fraction}"


def _score(env_id: str, seed: int) -> float:
    return int(hashlib.sha256(f"{seed}:{env_id}".encode()).hexdigest()[:12], 16) / float(1 << 48)


# -- conversion --------------------------------------------------------------
def to_example(trajectory_id: str, env_id: str, messages: Any, tools: Any) -> dict[str, Any]:
    """One training row; raises ValueError with a readable reason on malformed input."""
    messages = _loads(messages, "messages")
    tools = _loads(tools, "tools") if tools is not None else []
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages is not a non-empty list")
    out = [_message(i, m) for i, m in enumerate(messages)]
    if not any(m["role"] == "assistant" for m in out):
        raise ValueError("no assistant message to learn from")
    if not isinstance(tools, list):
        raise ValueError("tools is not a list")
    tools = [_tool(t) for t in tools]
    return {
        "trajectory_id": trajectory_id,
        "env_id": env_id,
        "messages": out,
        "tools": json.dumps(tools, ensure_ascii=False),
    }


def _message(index: int, message: Any) -> dict[str, Any]:
    if not isinstance(message, dict) or message.get("role") not in _ROLES:
        raise ValueError(f"message {index} has no valid role")
    content = message.get("content")
    if isinstance(content, list):  # OpenAI content parts → text
        content = "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    elif content is not None and not isinstance(content, str):
        content = json.dumps(content, ensure_ascii=False)
    calls = None
    if message.get("tool_calls"):
        calls = [_call(index, c) for c in message["tool_calls"]]
    return {
        "role": message["role"],
        "content": content,
        "tool_calls": calls,
        "tool_call_id": message.get("tool_call_id"),
        "name": message.get("name"),
    }


def _call(index: int, call: Any) -> dict[str, Any]:
    function = call.get("function", call) if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise ValueError(f"message {index} has a tool call without a name")
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"message {index}: arguments of {function['name']} are not JSON ({exc})"
            ) from None
    if arguments is None:
        arguments = {}
    # Same formatting as the template's tojson, so string and dict arguments train identically.
    return {
        "id": str(call.get("id") or ""),
        "type": "function",
        "function": {"name": function["name"], "arguments": json.dumps(arguments, ensure_ascii=False)},
    }


def _tool(tool: Any) -> dict[str, Any]:
    if not isinstance(tool, dict):
        raise ValueError("a tool schema is not an object")
    if "function" in tool:
        return tool
    if "name" in tool:  # a bare function schema
        return {"type": "function", "function": tool}
    raise ValueError("a tool schema has neither 'function' nor 'name'")


def _loads(value: Any, what: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{what} is not valid JSON ({exc})") from None
    return value


def features() -> Any:
    """The fixed Arrow schema of an exported split."""
    from datasets import Features, List, Value

    call = {
        "id": Value("string"),
        "type": Value("string"),
        "function": {"name": Value("string"), "arguments": Value("string")},
    }
    message = {
        "role": Value("string"),
        "content": Value("string"),
        "tool_calls": List(call),
        "tool_call_id": Value("string"),
        "name": Value("string"),
    }
    return Features(
        {
            "trajectory_id": Value("string"),
            "env_id": Value("string"),
            "messages": List(message),
            "tools": Value("string"),
        }
    )


# -- export ------------------------------------------------------------------
def export_datasets(
    wh: Warehouse, out_dir: Path, settings: TrainSettings, *, run_id: str | None = None
) -> ExportResult:
    """Write stage1/stage2/heldout Parquet files under ``out_dir`` and register them in `datasets`."""
    from datasets import Dataset

    family = split_key(settings)
    split = split_environments(export_environments(wh), settings, split_history(wh, family))
    where = {"stage1": set(split.general), "stage2": set(split.vertical_envs), "heldout": set(split.heldout)}
    examples: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    skipped: list[Skipped] = []
    for t in accepted_trajectories(wh):
        try:
            example = to_example(t.trajectory_id, t.env_id, t.messages, t.tools)
        except ValueError as exc:
            skipped.append(Skipped(trajectory_id=t.trajectory_id, reason=str(exc)))
            continue
        for name in SPLITS:
            if t.env_id in where[name]:
                examples[name].append(example)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "split.json").write_text(json.dumps(split.model_dump(mode="json"), indent=2))
    exported: dict[str, ExportedSplit] = {}
    for name in SPLITS:
        # The env list is part of the id: two empty held-out splits of different envs are different datasets.
        env_ids = sorted(where[name])
        dataset_id = content_hash({"split": name, "env_ids": env_ids, "rows": examples[name]})
        path = out_dir / f"{name}.parquet"
        schema = features()
        if examples[name]:
            dataset = Dataset.from_list(examples[name], features=schema)
        else:  # from_list cannot type an empty list
            dataset = Dataset.from_dict({column: [] for column in schema}, features=schema)
        dataset.to_parquet(str(path))
        exported[name] = ExportedSplit(
            split=name,
            dataset_id=dataset_id,
            path=str(path),
            n_rows=len(examples[name]),
            env_ids=tuple(env_ids),
        )
    records = [
        DatasetRecord(
            dataset_id=s.dataset_id,
            name=f"envscale-{s.split}",
            split=s.split,
            path=s.path,
            n_rows=s.n_rows,
            env_ids=s.env_ids,
            lineage_hash=split.digest,
            run_id=run_id,
            split_key=family,
        )
        for s in exported.values()
    ]
    record_exports(wh, records, run_id)
    return ExportResult(split=split, splits=exported, skipped=tuple(skipped))


def load_split(path: str | Path) -> Any:
    """An exported split as a ``datasets.Dataset`` (empty splits included)."""
    import pyarrow.parquet as pq
    from datasets import Dataset

    return Dataset(pq.read_table(str(path)))
