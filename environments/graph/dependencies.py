"""The directed dependency graph inside a domain: which tool's output feeds which tool's input.

Task sampling walks this graph. Rules decide it offline: A → B when a key that
A produces (a field of its return schema, or the id of the entity it lists,
searches or creates) is a required parameter of B, and A does not itself need
that key. When both directions hold, reads that produce keys come before writes
that consume them. An optional LLM (any ``complete(messages) -> str``) then
judges candidate pairs; its JSON answer is parsed strictly, cached on disk by
content hash, and a broken reply falls back to the rule for that pair (counted).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from envscale.errors import DataError
from envscale.hashing import content_hash

if TYPE_CHECKING:
    from envscale.config import EndpointSettings
    from envscale.environments.catalog.records import ToolRecord
    from envscale.environments.graph.communities import Domain

Complete = Callable[[list[dict[str, Any]]], str]


class DependencyEdge(BaseModel):
    """``source`` must (or usefully may) run before ``target``: its output feeds the target's input."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(description="tool_id of the producing tool.")
    target: str = Field(description="tool_id of the consuming tool.")
    keys: tuple[str, ...] = Field(
        (), description="Parameter names the source's output supplies to the target."
    )
    origin: Literal["rule", "llm"] = Field(description="Who decided the edge.")
    reason: str = Field(description="Why the edge exists, in words.")


class DependencyGraph(BaseModel):
    """The directed graph over one domain's tools."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tool_ids: tuple[str, ...] = Field(description="Nodes, sorted.")
    edges: tuple[DependencyEdge, ...] = Field(description="Sorted by (source, target).")
    stats: dict[str, int] = Field(
        default_factory=dict, description="Rule edges, LLM questions, cache hits, broken replies."
    )

    def successors(self, tool_id: str) -> list[str]:
        return [e.target for e in self.edges if e.source == tool_id]

    def predecessors(self, tool_id: str) -> list[str]:
        return [e.source for e in self.edges if e.target == tool_id]


# -- rules ------------------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_VERBS = frozenset(
    [
        "get",
        "list",
        "search",
        "find",
        "fetch",
        "retrieve",
        "query",
        "lookup",
        "read",
        "show",
        "view",
        "check",
        "create",
        "add",
        "insert",
        "new",
        "make",
        "book",
        "register",
        "post",
        "update",
        "set",
        "modify",
        "edit",
        "change",
        "patch",
        "put",
        "delete",
        "remove",
        "cancel",
        "drop",
        "send",
        "return",
        "exchange",
        "calculate",
        "compute",
        "transfer",
        "think",
        "by",
        "for",
        "of",
        "all",
        "the",
        "to",
        "from",
        "with",
        "and",
        "in",
        "on",
    ]
)
_GENERIC_TAIL = frozenset(
    [
        "details",
        "detail",
        "info",
        "information",
        "data",
        "list",
        "summary",
        "status",
        "count",
        "by",
        "id",
        "ids",
    ]
)
# Knobs, not data: matching them would link every pair of paginated tools.
_GENERIC_PARAMS = frozenset(
    [
        "limit",
        "offset",
        "page",
        "page_size",
        "per_page",
        "size",
        "sort",
        "sort_by",
        "order_by",
        "format",
        "lang",
        "language",
        "locale",
        "callback",
        "fields",
        "q",
        "query",
        "type",
        "name",
        "description",
        "value",
        "text",
    ]
)


def snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", _CAMEL.sub("_", name).lower()).strip("_")


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def entity(tool: ToolRecord) -> str | None:
    """The noun a tool acts on, from its name: ``get_order_details`` → ``order``, ``searchFlights`` → ``flight``."""
    words = [w for w in snake(tool.original_name or tool.name).split("_") if w and not w.isdigit()]
    nouns = [w for w in words if w not in _VERBS]
    while nouns and nouns[-1] in _GENERIC_TAIL:
        nouns.pop()
    return singular(nouns[-1]) if nouns else None


def required_keys(tool: ToolRecord) -> set[str]:
    """What the tool consumes: its required parameters (``id`` read as ``<entity>_id``)."""
    ent = entity(tool)
    out = set()
    for p in tool.parameters.get("required") or ():
        key = snake(str(p))
        if key == "id" and ent:
            key = f"{ent}_id"
        out.add(key)
    return out


def produced_keys(tool: ToolRecord) -> set[str]:
    """What the tool yields that it did not need: return fields and the id of its entity."""
    out: set[str] = set()
    ent = entity(tool)
    if tool.returns:
        _fields(tool.returns, ent, out)
    if ent:
        out.add(f"{ent}_id")
    return out - required_keys(tool)


def _fields(schema: Any, owner: str | None, out: set[str], depth: int = 0) -> None:
    if not isinstance(schema, dict) or depth > 6:
        return
    if schema.get("type") == "array" or "items" in schema:
        _fields(schema.get("items"), owner, out, depth + 1)
    for raw, sub in (schema.get("properties") or {}).items():
        key = snake(str(raw))
        if not key:
            continue
        if key == "id":
            if owner:
                out.add(f"{owner}_id")
            continue
        out.add(key)
        sub = sub if isinstance(sub, dict) else {}
        items = sub.get("items") if isinstance(sub.get("items"), dict) else None
        # ``orders: [string]`` lists order ids; ``order: {id: ...}`` carries one.
        if items is not None and items.get("type") in ("string", "integer"):
            out.add(f"{singular(key)}_id")
        _fields(sub, singular(key), out, depth + 1)


def rule_edges(tools: Sequence[ToolRecord]) -> list[DependencyEdge]:
    """Edges from key flow, with read-before-write tie-breaking for two-way pairs."""
    produced = {t.tool_id: produced_keys(t) - _GENERIC_PARAMS for t in tools}
    consumed = {t.tool_id: required_keys(t) - _GENERIC_PARAMS for t in tools}
    kind = {t.tool_id: t.kind for t in tools}
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for a in tools:
        for b in tools:
            if a.tool_id == b.tool_id:
                continue
            keys = produced[a.tool_id] & consumed[b.tool_id]
            if keys:
                found[(a.tool_id, b.tool_id)] = tuple(sorted(keys))
    edges = []
    for (a, b), keys in found.items():
        if (b, a) in found and kind[a] == "write" and kind[b] == "read":
            continue  # reads that produce keys precede writes that consume them
        reason = f"{'/'.join(keys)} produced by the source is required by the target"
        edges.append(DependencyEdge(source=a, target=b, keys=keys, origin="rule", reason=reason))
    return sorted(edges, key=lambda e: (e.source, e.target))


# -- LLM refinement ---------------------------------------------------------------------------------

Direction = Literal["a_to_b", "b_to_a", "none"]


class RefinerAnswer(BaseModel):
    """The only reply shape accepted from the graph refiner."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    dependent: bool
    direction: Direction
    keys: list[str] = Field(default_factory=list)
    reason: str = ""


class BrokenReply(DataError):
    """The refiner's reply is not the JSON object asked for."""


def parse_answer(text: str) -> RefinerAnswer:
    """Strict: one JSON object with the fields asked for, nothing around it, consistent."""
    try:
        data = json.loads(text.strip())
    except ValueError as exc:
        raise BrokenReply(f"not JSON: {exc}") from None
    try:
        answer = RefinerAnswer.model_validate(data)
    except ValidationError as exc:
        raise BrokenReply(f"wrong shape: {exc.errors()[0]['msg']}") from None
    if answer.dependent != (answer.direction != "none"):
        raise BrokenReply("dependent and direction disagree")
    return answer


_SYSTEM = (
    "You judge whether two API tools depend on each other: whether an output of one supplies a required "
    "input of the other, so it must run first. Answer with one JSON object and nothing else: "
    '{"dependent": true|false, "direction": "a_to_b"|"b_to_a"|"none", "keys": [parameter names], '
    '"reason": "short"}. direction is "none" exactly when dependent is false.'
)


def _describe(tool: ToolRecord) -> dict[str, Any]:
    props = tool.parameters.get("properties") or {}
    returns = sorted(_top_fields(tool.returns)) if tool.returns else []
    return {
        "name": tool.name,
        "kind": tool.kind,
        "description": " ".join(tool.description.split())[:300],
        "required": list(tool.parameters.get("required") or []),
        "optional": [p for p in props if p not in set(tool.parameters.get("required") or [])],
        "returns": returns[:30],
    }


def _top_fields(schema: Any) -> set[str]:
    out: set[str] = set()
    _fields(schema, None, out)
    return out


def refiner_messages(a: ToolRecord, b: ToolRecord) -> list[dict[str, Any]]:
    user = (
        "Tool A:\n"
        + json.dumps(_describe(a), sort_keys=True)
        + "\nTool B:\n"
        + json.dumps(_describe(b), sort_keys=True)
    )
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


class AnswerCache:
    """Refiner answers on disk, one JSON file per content hash of (model, messages)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> RefinerAnswer | None:
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            return RefinerAnswer.model_validate_json(path.read_text())
        except ValidationError:
            return None  # a damaged entry is asked again, never trusted

    def put(self, key: str, answer: RefinerAnswer) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(answer.model_dump_json())
        os.replace(tmp, path)


def build_dependencies(
    tools: Sequence[ToolRecord],
    *,
    complete: Complete | None = None,
    candidate_pairs: Iterable[tuple[str, str]] = (),
    cache_dir: Path | None = None,
    max_pairs: int = 64,
    model_id: str = "",
) -> DependencyGraph:
    """Rule edges, refined by ``complete`` (when given) over at most ``max_pairs`` candidate pairs.

    Candidates are the pairs the rules linked, then ``candidate_pairs`` (e.g. the
    domain's similarity edges, strongest first). ``model_id`` enters the cache
    key so another model's answers are not reused.
    """
    by_id = {t.tool_id: t for t in tools}
    ordered = [by_id[k] for k in sorted(by_id)]
    rules = rule_edges(ordered)
    stats = {
        "rule_edges": len(rules),
        "asked": 0,
        "cached": 0,
        "broken": 0,
        "confirmed": 0,
        "rejected": 0,
        "added": 0,
    }
    if complete is None or max_pairs == 0:
        return DependencyGraph(tool_ids=tuple(sorted(by_id)), edges=tuple(rules), stats=stats)

    pairs: list[tuple[str, str]] = []
    for e in rules:
        _add_pair(pairs, e.source, e.target, by_id)
    for a, b in candidate_pairs:
        _add_pair(pairs, a, b, by_id)
    pairs = pairs[:max_pairs]
    stats["candidates"] = len(pairs)

    cache = AnswerCache(cache_dir) if cache_dir is not None else None
    by_pair: dict[tuple[str, str], list[DependencyEdge]] = {}
    for e in rules:
        by_pair.setdefault(tuple(sorted((e.source, e.target))), []).append(e)  # type: ignore[arg-type]
    asked = set(pairs)
    edges: list[DependencyEdge] = [e for e in rules if tuple(sorted((e.source, e.target))) not in asked]
    for a_id, b_id in pairs:
        a, b = by_id[a_id], by_id[b_id]
        messages = refiner_messages(a, b)
        key = content_hash({"model": model_id, "messages": messages}, length=32)
        answer = cache.get(key) if cache is not None else None
        if answer is not None:
            stats["cached"] += 1
        else:
            stats["asked"] += 1
            try:
                answer = parse_answer(complete(messages))
            except BrokenReply:
                stats["broken"] += 1
                edges.extend(by_pair.get((a_id, b_id), []))  # the rule stands for this pair
                continue
            if cache is not None:
                cache.put(key, answer)
        ruled = by_pair.get((a_id, b_id), [])
        if not answer.dependent:
            stats["rejected"] += len(ruled)
            continue
        source, target = (a_id, b_id) if answer.direction == "a_to_b" else (b_id, a_id)
        match = [e for e in ruled if e.source == source]
        stats["confirmed" if match else "added"] += 1
        stats["rejected"] += len(ruled) - len(match)
        keys = tuple(sorted({snake(k) for k in answer.keys})) or (match[0].keys if match else ())
        reason = answer.reason.strip()[:300] or "the graph refiner judged it a dependency"
        edges.append(DependencyEdge(source=source, target=target, keys=keys, origin="llm", reason=reason))
    edges.sort(key=lambda e: (e.source, e.target))
    return DependencyGraph(tool_ids=tuple(sorted(by_id)), edges=tuple(edges), stats=stats)


def _add_pair(pairs: list[tuple[str, str]], a: str, b: str, by_id: dict[str, Any]) -> None:
    if a == b or a not in by_id or b not in by_id:
        return
    pair = (a, b) if a < b else (b, a)
    if pair not in pairs:
        pairs.append(pair)


# -- the production ``complete``: the project's LLM client, driven synchronously -----------------


class EndpointCompleter:
    """``complete(messages) -> str`` over an OpenAI-compatible endpoint (``llm.graph_refiner``).

    An unusable reply comes back as ``""`` (the caller counts it as broken); an
    endpoint that stays down raises ``EndpointDead``, which fails the flow.
    """

    def __init__(
        self, endpoint: EndpointSettings, *, role: str = "graph_refiner", json_mode: bool = False
    ) -> None:
        import asyncio

        from envscale.llm.client import LLMClient

        self._loop = asyncio.new_event_loop()
        self._client = LLMClient(endpoint, role=role)
        self.model_id = f"{self._client.base_url}:{self._client.model}"
        self.role = role
        # Not every server knows response_format; the strict parser is the real guard.
        self._response_format = {"type": "json_object"} if json_mode else None

    def __call__(self, messages: list[dict[str, Any]]) -> str:
        result = self._loop.run_until_complete(
            self._client.chat(messages, response_format=self._response_format)
        ).raise_for_dead(self.role)
        return result.content if result.outcome == "ok" else ""

    @property
    def usage(self) -> dict[str, Any]:
        return self._client.usage.as_dict()

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()

    def __enter__(self) -> EndpointCompleter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_refiner(endpoint: EndpointSettings) -> EndpointCompleter | None:
    """The graph refiner for ``llm.graph_refiner``: None unless its mode is 'llm' (the rules are the offline refiner)."""
    return EndpointCompleter(endpoint) if endpoint.mode == "llm" else None


def domain_dependencies(
    domain: Domain,
    tools_by_id: Mapping[str, ToolRecord],
    *,
    complete: Complete | None = None,
    cache_dir: Path | None = None,
    max_pairs: int = 64,
) -> DependencyGraph:
    """The dependency graph of one domain; its similarity edges (strongest first) are the extra LLM candidates."""
    tools = [tools_by_id[t] for t in domain.tool_ids]
    similar = [
        (e.source, e.target) for e in sorted(domain.edges, key=lambda e: (-e.weight, e.source, e.target))
    ]
    return build_dependencies(
        tools,
        complete=complete,
        candidate_pairs=similar,
        cache_dir=cache_dir,
        max_pairs=max_pairs,
        model_id=getattr(complete, "model_id", ""),
    )
