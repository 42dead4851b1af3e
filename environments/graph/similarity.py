"""Similarity edges between tools: cosine > τ, computed block by block.

The dense n×n matrix of 30,000 tools is 3.6 GB in float32; tiles of
``block_size``² (16 MB at 2048) keep memory flat while numpy's matmul does
the work. Only the upper triangle is visited, so every pair is seen once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from envscale.environments.graph.embedding import normalize


@dataclass(frozen=True)
class EdgeList:
    """Undirected weighted edges over row indices, ``src < dst``, sorted by (src, dst)."""

    src: np.ndarray  # int32
    dst: np.ndarray  # int32
    weight: np.ndarray  # float32 cosine similarity
    n_nodes: int

    def __len__(self) -> int:
        return int(self.src.shape[0])

    def as_tuples(self) -> list[tuple[int, int, float]]:
        return list(zip(self.src.tolist(), self.dst.tolist(), self.weight.tolist(), strict=True))


def similarity_edges(
    vectors: np.ndarray,
    threshold: float,
    *,
    block_size: int = 2048,
    groups: np.ndarray | None = None,
    cohesion: float = 0.0,
) -> EdgeList:
    """All pairs ``i < j`` with cosine(vectors[i], vectors[j]) (+ ``cohesion`` when ``groups`` match) > ``threshold``.

    ``groups`` holds one integer source code per row (the tool's file or namespace):
    tools written together belong together, which cosine over short texts misses.
    """
    if block_size <= 0:
        raise ValueError("block_size must be positive")
    if groups is not None and groups.shape[0] != vectors.shape[0]:
        raise ValueError("groups must have one entry per vector")
    x = normalize(vectors)
    n = x.shape[0]
    srcs: list[np.ndarray] = []
    dsts: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for i0 in range(0, n, block_size):
        i1 = min(i0 + block_size, n)
        for j0 in range(i0, n, block_size):
            j1 = min(j0 + block_size, n)
            tile = x[i0:i1] @ x[j0:j1].T
            if groups is not None and cohesion:
                tile = tile + cohesion * (groups[i0:i1, None] == groups[None, j0:j1])
            rows, cols = np.nonzero(tile > threshold)
            if j0 == i0:
                # Diagonal tile: the strict upper triangle only (no self loops, no pair twice).
                keep = cols > rows
                rows, cols = rows[keep], cols[keep]
            if rows.size:
                srcs.append((rows + i0).astype(np.int32))
                dsts.append((cols + j0).astype(np.int32))
                weights.append(tile[rows, cols].astype(np.float32))
    if not srcs:
        empty_i = np.zeros(0, dtype=np.int32)
        return EdgeList(empty_i, empty_i.copy(), np.zeros(0, dtype=np.float32), n)
    src = np.concatenate(srcs)
    dst = np.concatenate(dsts)
    weight = np.concatenate(weights)
    order = np.lexsort((dst, src))
    return EdgeList(src[order], dst[order], weight[order], n)
