"""Domains: communities of the tool similarity graph, within configured size bounds.

Louvain (networkx, seeded) over the cosine > τ graph; communities over
``max_domain_size`` are split by running Louvain again on their subgraph at a
higher resolution (or, for near-cliques that Louvain can only shatter, cut into
equal pieces along a BFS order); communities under ``min_domain_size`` join the
domain whose centroid is nearest when it is close enough and has room, or are
dropped, each with its reason. Tools are processed in ``tool_id`` order, so the
result depends on the catalog's content and the seed only.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from envscale.environments.graph.embedding import normalize
from envscale.environments.graph.similarity import EdgeList, similarity_edges
from envscale.hashing import content_hash

if TYPE_CHECKING:
    import networkx as nx

    from envscale.config import BuildSettings
    from envscale.environments.catalog.records import ToolRecord


class ToolsEmbedder(Protocol):
    def embed_tools(self, tools: Sequence[ToolRecord]) -> np.ndarray: ...


class DomainEdge(BaseModel):
    """An undirected similarity edge between two tools of one domain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(description="tool_id (the smaller of the two).")
    target: str = Field(description="tool_id (the larger of the two).")
    weight: float = Field(description="Cosine similarity of the two tools' parameter-list embeddings.")


class Domain(BaseModel):
    """A group of related tools that becomes one environment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    domain_id: str = Field(description="Content hash of the sorted tool_ids.")
    name: str = Field(description="Readable name from the dominant category and the most common name tokens.")
    tool_ids: tuple[str, ...] = Field(description="Member tools, sorted.")
    tags: tuple[str, ...] = Field((), description="Categories (most frequent first), then common tokens.")
    edges: tuple[DomainEdge, ...] = Field((), description="Similarity edges between members (cosine > τ).")
    notes: tuple[str, ...] = Field((), description="How the domain was formed: splits, attached communities.")


class DroppedTool(BaseModel):
    """A tool that ended up in no domain, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tool_id: str
    name: str
    reason: str


class DomainGraph(BaseModel):
    """The outcome of community detection over a catalog."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    domains: tuple[Domain, ...] = Field(description="Largest first, then by domain_id.")
    dropped: tuple[DroppedTool, ...] = Field((), description="Tools in no domain, with reasons.")
    n_tools: int = Field(description="Distinct tools considered.")
    n_edges: int = Field(description="Similarity edges above τ over the whole catalog.")
    params: dict[str, Any] = Field(
        description="Settings that shaped the result (τ, resolution, bounds, seed)."
    )
    lineage_hash: str = Field(description="Hash of the tool_ids and params: equal inputs, equal domains.")
    stats: dict[str, Any] = Field(default_factory=dict, description="Counts and timings of each phase.")

    def domain_of(self) -> dict[str, str]:
        """tool_id → domain_id for every tool that has a domain."""
        return {t: d.domain_id for d in self.domains for t in d.tool_ids}


# -- entry point -------------------------------------------------------------------------------------


def detect_domains(
    tools: Sequence[ToolRecord], settings: BuildSettings, embedder: ToolsEmbedder
) -> DomainGraph:
    """Embed, link (cosine > τ), find communities, enforce size bounds, name the domains."""
    timings: dict[str, float] = {}
    by_id = {t.tool_id: t for t in tools}
    ordered = [by_id[k] for k in sorted(by_id)]
    params = _params(settings, embedder)
    lineage = content_hash({"tools": [t.tool_id for t in ordered], "params": params})
    if not ordered:
        return DomainGraph(domains=(), n_tools=0, n_edges=0, params=params, lineage_hash=lineage)

    t0 = time.perf_counter()
    vectors = normalize(embedder.embed_tools(ordered))
    timings["embed_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    groups = source_groups(ordered)
    edges = similarity_edges(
        vectors,
        settings.similarity_threshold,
        block_size=settings.similarity_block_size,
        groups=groups,
        cohesion=settings.source_cohesion,
    )
    timings["similarity_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    graph = _graph(edges)
    raw = _louvain(graph, settings.resolution, settings.seed)
    timings["louvain_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    parts: list[tuple[list[int], list[str]]] = []
    n_split = 0
    for members in raw:
        pieces = _split(graph, members, settings)
        if len(pieces) > 1:
            n_split += 1
        parts.extend(pieces)
    big = [(m, n) for m, n in parts if len(m) >= settings.min_domain_size]
    tiny = [(m, n) for m, n in parts if len(m) < settings.min_domain_size]
    dropped, n_attached = _attach_tiny(big, tiny, vectors, groups, ordered, settings)
    timings["bounds_s"] = time.perf_counter() - t0

    per_domain = _edges_by_community([m for m, _ in big], edges)
    domains = [_domain(m, notes, ordered, e) for (m, notes), e in zip(big, per_domain, strict=True)]
    domains.sort(key=lambda d: (-len(d.tool_ids), d.domain_id))
    stats = {
        "communities": len(raw),
        "split": n_split,
        "attached_tools": n_attached,
        "dropped_tools": len(dropped),
        "domains": len(domains),
        "modularity": _modularity(graph, [m for m, _ in big], settings.resolution),
        **{k: round(v, 4) for k, v in timings.items()},
    }
    return DomainGraph(
        domains=tuple(domains),
        dropped=tuple(sorted(dropped, key=lambda d: d.tool_id)),
        n_tools=len(ordered),
        n_edges=len(edges),
        params=params,
        lineage_hash=lineage,
        stats=stats,
    )


def _params(settings: BuildSettings, embedder: Any) -> dict[str, Any]:
    backend = getattr(embedder, "backend", None)
    return {
        "similarity_threshold": settings.similarity_threshold,
        "resolution": settings.resolution,
        "min_domain_size": settings.min_domain_size,
        "max_domain_size": settings.max_domain_size,
        "attach_threshold": settings.attach_threshold,
        "source_cohesion": settings.source_cohesion,
        "seed": settings.seed,
        "embedding_model": getattr(backend, "model_id", type(embedder).__name__),
        "text_mode": getattr(embedder, "text_mode", None),
    }


def source_key(tool: ToolRecord) -> str:
    """Where a tool was written: its namespace (API / service) when it has one, else its first source file."""
    if tool.namespace:
        return f"ns:{tool.namespace}"
    return f"file:{tool.sources[0].file}" if tool.sources else f"tool:{tool.tool_id}"


def source_groups(tools: Sequence[ToolRecord]) -> np.ndarray:
    """One integer code per tool, equal for tools of the same source (see ``source_key``)."""
    codes: dict[str, int] = {}
    return np.array([codes.setdefault(source_key(t), len(codes)) for t in tools], dtype=np.int64)


# -- graph and Louvain -------------------------------------------------------------------------------


def _graph(edges: EdgeList) -> nx.Graph:
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(edges.n_nodes))
    graph.add_weighted_edges_from(edges.as_tuples())
    return graph


def _louvain(graph: nx.Graph, resolution: float, seed: int) -> list[list[int]]:
    """Seeded Louvain; communities as sorted index lists, ordered by their smallest member."""
    from networkx.algorithms.community import louvain_communities

    found = louvain_communities(graph, weight="weight", resolution=resolution, seed=seed)
    return sorted((sorted(c) for c in found), key=lambda c: c[0])


def _modularity(graph: nx.Graph, communities: list[list[int]], resolution: float) -> float | None:
    from networkx.algorithms.community import modularity

    if graph.number_of_edges() == 0 or not communities:
        return None
    covered = {i for c in communities for i in c}
    # Modularity needs a partition: tools outside every domain count as singletons.
    partition = [set(c) for c in communities] + [{i} for i in graph.nodes if i not in covered]
    return round(float(modularity(graph, partition, weight="weight", resolution=resolution)), 4)


_MAX_SPLIT_ROUNDS = 6


def _split(graph: nx.Graph, members: list[int], settings: BuildSettings) -> list[tuple[list[int], list[str]]]:
    """Cut a community into pieces of at most ``max_domain_size`` tools."""
    limit = settings.max_domain_size
    if len(members) <= limit:
        return [(members, [])]
    # A real copy, not a view: Louvain walks it many times, and a view filters every neighbour
    # through the parent (30k tools: 45 s of size bounds → see docs/notes/graph.md).
    sub = graph.subgraph(members).copy()
    resolution = settings.resolution
    pieces: list[list[int]] = [members]
    for _ in range(_MAX_SPLIT_ROUNDS):
        resolution *= 2
        pieces = _louvain(sub, resolution, settings.seed)
        if len(pieces) > 1:
            break
    note = f"split from a community of {len(members)} tools (Louvain at resolution {resolution:g})"
    # A near-clique is never split sensibly by modularity: it stays whole or
    # shatters into singletons. Cut it into equal pieces that keep neighbours together.
    if len(pieces) == 1 or max(len(p) for p in pieces) < settings.min_domain_size:
        pieces = _chunk(sub, members, limit)
        note = f"cut from a dense community of {len(members)} tools into {len(pieces)} equal pieces"
    out: list[tuple[list[int], list[str]]] = []
    for piece in pieces:
        for sub_members, sub_notes in _split(graph, piece, settings):
            out.append((sub_members, [note, *sub_notes]))
    return out


def _chunk(sub: nx.Graph, members: list[int], limit: int) -> list[list[int]]:
    import networkx as nx

    order: list[int] = []
    seen: set[int] = set()
    # BFS from the strongest node of each component, neighbours by descending weight.
    strength = dict(sub.degree(weight="weight"))
    for start in sorted(members, key=lambda i: (-strength[i], i)):
        if start in seen:
            continue
        for node in nx.bfs_tree(
            sub, start, sort_neighbors=lambda ns: sorted(ns, key=lambda j: (-strength[j], j))
        ):
            if node not in seen:
                seen.add(node)
                order.append(node)
    n_pieces = math.ceil(len(order) / limit)
    size = math.ceil(len(order) / n_pieces)
    return [sorted(order[i : i + size]) for i in range(0, len(order), size)]


def _attach_tiny(
    big: list[tuple[list[int], list[str]]],
    tiny: list[tuple[list[int], list[str]]],
    vectors: np.ndarray,
    groups: np.ndarray,
    tools: list[ToolRecord],
    settings: BuildSettings,
) -> tuple[list[DroppedTool], int]:
    """Attach each too-small community to the nearest domain with room, or drop its tools.

    Nearness is centroid cosine plus ``source_cohesion`` times the share of the domain's
    tools that come from the small community's own sources (the same boost as the edges).
    """
    dropped: list[DroppedTool] = []
    attached = 0
    centroids = normalize(np.stack([vectors[m].mean(axis=0) for m, _ in big])) if big else None
    big_groups = [groups[m] for m, _ in big]
    for members, _ in sorted(tiny, key=lambda p: (-len(p[0]), p[0][0])):
        if centroids is None:
            reason = f"community of {len(members)} below min_domain_size={settings.min_domain_size}; no domain formed"
            dropped.extend(_drop(members, tools, reason))
            continue
        centroid = normalize(vectors[members].mean(axis=0, keepdims=True))[0]
        own = np.unique(groups[members])
        shared = np.array([np.isin(g, own).mean() for g in big_groups])
        sims = centroids @ centroid + settings.source_cohesion * shared
        # Centroids stay those of the original communities, so attachment order cannot drift them.
        choice = None
        for idx in np.argsort(-sims, kind="stable"):
            if sims[idx] < settings.attach_threshold:
                break
            if len(big[idx][0]) + len(members) <= settings.max_domain_size:
                choice = int(idx)
                break
        if choice is None:
            best = int(np.argmax(sims))
            why = (
                f"nearest domain at similarity {sims[best]:.3f} < attach_threshold={settings.attach_threshold}"
                if sims[best] < settings.attach_threshold
                else "every domain close enough is full (max_domain_size)"
            )
            reason = f"community of {len(members)} below min_domain_size={settings.min_domain_size}; {why}"
            dropped.extend(_drop(members, tools, reason))
            continue
        target, notes = big[choice]
        target.extend(members)
        target.sort()
        notes.append(
            f"attached {len(members)} tool(s) from a small community at similarity {sims[choice]:.2f}"
        )
        attached += len(members)
    return dropped, attached


def _drop(members: list[int], tools: list[ToolRecord], reason: str) -> list[DroppedTool]:
    return [DroppedTool(tool_id=tools[i].tool_id, name=tools[i].name, reason=reason) for i in members]


# -- naming ------------------------------------------------------------------------------------------

_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "api",
        "all",
        "any",
        "by",
        "v1",
        "v2",
        "v3",
        "for",
        "from",
        "get",
        "list",
        "set",
        "the",
        "to",
        "of",
        "in",
        "on",
        "or",
        "with",
        "info",
        "data",
        "new",
        "add",
        "remove",
        "create",
        "update",
        "delete",
        "search",
        "fetch",
        "find",
        "retrieve",
        "check",
        "id",
        "ids",
        "by_id",
        "details",
        "detail",
        "query",
        "endpoint",
    ]
)
_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text) if len(t) > 1 and t.lower() not in _STOP]


def _edges_by_community(communities: list[list[int]], edges: EdgeList) -> list[list[tuple[int, int, float]]]:
    """The edges inside each community, in one pass over the edge list (not one per domain)."""
    out: list[list[tuple[int, int, float]]] = [[] for _ in communities]
    if not len(edges) or not communities:
        return out
    label = np.full(edges.n_nodes, -1, dtype=np.int64)
    for k, members in enumerate(communities):
        label[members] = k
    ls, ld = label[edges.src], label[edges.dst]
    inside = np.nonzero((ls == ld) & (ls >= 0))[0]
    for k, a, b, w in zip(
        ls[inside].tolist(),
        edges.src[inside].tolist(),
        edges.dst[inside].tolist(),
        edges.weight[inside].tolist(),
        strict=True,
    ):
        out[k].append((a, b, round(float(w), 6)))
    return out


def _domain(
    members: list[int], notes: list[str], tools: list[ToolRecord], member_edges: list[tuple[int, int, float]]
) -> Domain:
    member_tools = [tools[i] for i in members]
    tool_ids = tuple(sorted(t.tool_id for t in member_tools))
    categories = Counter(c for t in member_tools for c in dict.fromkeys(t.categories))
    words = Counter(w for t in member_tools for w in set(_tokens(t.name)))
    top_words = [w for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
    top_categories = [c for c, _ in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))]
    head = []
    if top_categories and categories[top_categories[0]] * 2 >= len(member_tools):
        head.append(top_categories[0].lower())
    # "movies-movies-database" says less than "movies-database".
    category_words = {_singular(c.lower()) for c in categories}
    words_for_name = [w for w in top_words if _singular(w) not in category_words]
    # When every frequent word is also a (minority) category, the words still name it better than "domain".
    name = "-".join(head + words_for_name[:2]) or "-".join(top_words[:2]) or "domain"
    namespaces = Counter(t.namespace for t in member_tools if t.namespace)
    if not head and namespaces and namespaces.most_common(1)[0][1] * 2 >= len(member_tools):
        # No dominant category, one service: its name says more than leftover verbs ("cancel").
        name = "-".join(_tokens(namespaces.most_common(1)[0][0])) or name
    domain_edges = [
        DomainEdge(
            source=min(tools[a].tool_id, tools[b].tool_id),
            target=max(tools[a].tool_id, tools[b].tool_id),
            weight=w,
        )
        for a, b, w in member_edges
    ]
    domain_edges.sort(key=lambda e: (e.source, e.target))
    return Domain(
        domain_id=content_hash(list(tool_ids)),
        name=name,
        tool_ids=tool_ids,
        tags=tuple(top_categories + [w for w in top_words if w not in {c.lower() for c in top_categories}]),
        edges=tuple(domain_edges),
        notes=tuple(notes),
    )
