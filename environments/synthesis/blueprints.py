"""Blueprint sampling: walk the dependency graph, ground arguments in the episode's state, execute.

From a random start tool the walk follows the manifest's directed edges
(output of A feeds an input of B) until the wanted length or a dead end,
preferring steps whose required inputs are fed by earlier results or existing
rows. Arguments come from earlier results first, then from the episode's
current rows, then from schema-aware generators. Every call is executed on the
episode; the blueprint is kept only if every call succeeded and every write
changed the state, else it is returned as dropped with a reason.
"""

from __future__ import annotations

import random
import string
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from envscale.environments.runtime.contracts import EnvTool, Episode
from envscale.environments.schema.infer import number_bounds
from envscale.environments.seeding import uniform_cents
from envscale.environments.synthesis.records import Blueprint, GoldCall
from envscale.hashing import content_hash

RowsFn = Callable[[], list[dict[str, Any]]]


@dataclass(frozen=True)
class SamplerConfig:
    min_calls: int = 1
    max_calls: int = 4
    tries_per_step: int = 4
    optional_probability: float = 0.3
    multi_goal_share: float = 0.6  # goal planner: chance of each extra goal (at most two more)
    refusal_share: float = 0.15  # goal planner: share of write goals that ask for what a rule forbids
    lookup_share: float = 0.85  # goal planner: a number the user holds is looked up instead, when a read can


class ValuePool:
    """Known values by key name: from existing rows and from earlier results (most recent last)."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[Any]] = defaultdict(list)
        self.fed: set[str] = set()  # keys produced by this blueprint's calls

    def add(self, value: Any, *, fed: bool = False, _key: str | None = None, _depth: int = 0) -> None:
        if _depth > 6:
            return
        if isinstance(value, dict):
            for k, v in value.items():
                self.add(v, fed=fed, _key=str(k), _depth=_depth + 1)
        elif isinstance(value, list):
            for v in value[:50]:
                self.add(v, fed=fed, _key=_key, _depth=_depth + 1)
        elif _key is not None and value is not None and not isinstance(value, bool):
            bucket = self.by_key[_key]
            if value in bucket:
                bucket.remove(value)
            bucket.append(value)
            if fed:
                self.fed.add(_key)

    def candidates(self, name: str) -> list[Any]:
        if name in self.by_key:
            return self.by_key[name]
        # 'id' on a customers row feeds 'customer_id'.
        short = name.removesuffix("_id")
        return self.by_key.get(f"{short}_id") or []


def _properties(tool: EnvTool) -> tuple[dict[str, Any], list[str]]:
    params = tool.parameters or {}
    return dict(params.get("properties") or {}), list(params.get("required") or [])


def generate_value(name: str, schema: dict[str, Any], rng: random.Random) -> Any:
    """A fresh value for a parameter, honouring its JSON Schema (enum, bounds, format)."""
    if "enum" in schema and schema["enum"]:
        return rng.choice(list(schema["enum"]))
    typ = schema.get("type")
    if isinstance(typ, list):
        typ = next((t for t in typ if t != "null"), "string")
    if typ in ("integer", "number"):
        # Exclusive bounds honoured; integers clamped to BIGINT (a uint64 maximum overflows int64).
        low, high = number_bounds(schema, "BIGINT" if typ == "integer" else "DOUBLE")
        lo = low if low is not None else (1 if high is None or high >= 1 else high - 499)
        hi = high if high is not None else max(lo + 1, 500)
        if typ == "integer":
            return rng.randint(lo, max(lo, hi))
        return uniform_cents(rng, lo, hi)
    if typ == "boolean":
        return rng.random() < 0.5
    if typ == "array":
        return [generate_value(name, schema.get("items") or {"type": "string"}, rng)]
    if typ == "object":
        return {}
    fmt = schema.get("format")
    if fmt == "date":
        return f"2024-{rng.randint(6, 12):02d}-{rng.randint(1, 28):02d}"
    if fmt == "date-time":
        return f"2024-{rng.randint(6, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(8, 18):02d}:00:00"
    if fmt == "email" or "email" in name:
        return f"{_word(rng)}{rng.randint(1, 99)}@example.com"
    suffix = "".join(rng.choices(string.ascii_uppercase + string.digits, k=6))
    if name.endswith("id"):
        return f"{name.removesuffix('_id').removesuffix('id')[:3].upper() or 'ID'}-{suffix}"
    return f"{_word(rng)} {suffix.lower()}"


_WORDS = (
    "alpha",
    "amber",
    "cedar",
    "delta",
    "ember",
    "falcon",
    "harbor",
    "ivory",
    "juniper",
    "maple",
    "nova",
    "orchid",
)


def _word(rng: random.Random) -> str:
    return rng.choice(_WORDS)


def coerce_to_param(value: Any, schema: dict[str, Any]) -> Any:
    """An existing value in the parameter's type (a row's int id for a string param, ...)."""
    typ = schema.get("type")
    if typ == "string" and not isinstance(value, str):
        return str(value)
    if typ == "integer" and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


def ground_arguments(
    tool: EnvTool, pool: ValuePool, rng: random.Random, *, fresh: bool, optional_p: float
) -> dict[str, Any]:
    """Arguments for one call: earlier results / existing rows, or generated when ``fresh``."""
    props, required = _properties(tool)
    args: dict[str, Any] = {}
    for name, schema in props.items():
        schema = schema if isinstance(schema, dict) else {}
        known = pool.candidates(name)
        if name not in required and not (known and rng.random() < optional_p):
            continue
        if known and not fresh:
            # The most recent value (an earlier result) most of the time, else any existing one.
            value = known[-1] if name in pool.fed and rng.random() < 0.8 else rng.choice(known)
            args[name] = coerce_to_param(value, schema)
        else:
            args[name] = generate_value(name, schema, rng)
    return args


def _groundable(tool: EnvTool, pool: ValuePool) -> float:
    props, required = _properties(tool)
    if not required:
        return 1.0
    return sum(1 for r in required if pool.candidates(r)) / len(required)


def probe_rows(episode: Episode) -> list[dict[str, Any]]:
    """Existing rows, through the read tools that need no argument (the protocol has no query)."""
    rows: list[dict[str, Any]] = []
    for tool in episode.tools:
        _, required = _properties(tool)
        if tool.kind == "read" and not required:
            result = episode.call(tool.name, {})
            if result.ok:
                rows.append({"_": result.content})
    return rows


def sample_blueprint(
    env_id: str,
    episode: Episode,
    edges: list[tuple[str, str]],
    rng: random.Random,
    config: SamplerConfig,
    *,
    rows: list[dict[str, Any]] | None = None,
    seed: int = 0,
) -> Blueprint:
    """One blueprint (kept or dropped with a reason) sampled on a fresh ``episode``."""
    tools = {t.name: t for t in episode.tools}
    successors: dict[str, list[str]] = defaultdict(list)
    for src, dst in edges:
        if src in tools and dst in tools and dst not in successors[src]:
            successors[src].append(dst)
    pool = ValuePool()
    for row in rows if rows is not None else probe_rows(episode):
        pool.add(row)
    wanted = rng.randint(config.min_calls, max(config.min_calls, config.max_calls))
    names = sorted(tools)
    weights = [0.2 + 3 * _groundable(tools[n], pool) for n in names]
    current = rng.choices(names, weights=weights)[0]
    calls: list[GoldCall] = []
    reason: str | None = None
    while True:
        tool = tools[current]
        call, why = _execute(tool, episode, pool, rng, config)
        if call is None:
            reason = why
            break
        calls.append(call)
        pool.add(call.result, fed=True)
        if len(calls) >= wanted:
            break
        nxt = [n for n in successors.get(current, []) if not (tools[n].kind == "read" and n == current)]
        if not nxt:
            break  # dead end
        current = rng.choices(nxt, weights=[0.2 + 3 * _groundable(tools[n], pool) for n in nxt])[0]
    if reason is None and len(calls) < config.min_calls:
        reason = f"too_short: dead end after {len(calls)} call(s), min {config.min_calls}"
    status = "kept" if reason is None else "dropped"
    diff = tuple(c.model_dump(mode="json") for c in episode.diff()) if reason is None else ()
    if reason is None:
        bid = Blueprint.make_id(env_id, calls)
    else:  # dropped ones are kept for the record, one per (seed, reason)
        bid = content_hash({"env": env_id, "seed": seed, "dropped": reason, "calls": [c.name for c in calls]})
    return Blueprint(
        blueprint_id=bid,
        env_id=env_id,
        calls=tuple(calls),
        read_only=all(c.kind == "read" for c in calls),
        gold_state_hash=episode.state_hash(),
        gold_diff=diff,
        status=status,
        reason=reason,
        seed=seed,
    )


def _execute(
    tool: EnvTool, episode: Episode, pool: ValuePool, rng: random.Random, config: SamplerConfig
) -> tuple[GoldCall | None, str]:
    last = ""
    for attempt in range(config.tries_per_step):
        # First existing values; later tries generate fresh ones (a create needs a new key).
        args = ground_arguments(
            tool, pool, rng, fresh=attempt % 2 == 1, optional_p=config.optional_probability
        )
        before = episode.state_hash() if tool.kind == "write" else None
        result = episode.call(tool.name, args)
        if not result.ok:
            last = f"call_failed: {tool.name}: {result.error_code or ''} {result.error}"[:300]
            continue
        changed = before is not None and episode.state_hash() != before
        if tool.kind == "write" and not changed:
            last = f"write_no_change: {tool.name} succeeded without changing state"
            continue
        return GoldCall(
            name=tool.name,
            arguments=args,
            kind=tool.kind,
            ok=True,
            result=result.content,
            changed_state=changed,
        ), ""
    return None, last
