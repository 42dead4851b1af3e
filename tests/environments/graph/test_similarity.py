from __future__ import annotations

import numpy as np
import pytest

from envscale.environments.graph.similarity import similarity_edges


def _dense(x: np.ndarray, tau: float) -> set[tuple[int, int]]:
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    s = x @ x.T
    return {(i, j) for i in range(len(x)) for j in range(i + 1, len(x)) if s[i, j] > tau}


@pytest.mark.parametrize("tau", [0.3, 0.0, -0.2])
@pytest.mark.parametrize("block", [7, 64, 1000])
def test_blockwise_equals_dense(tau, block):
    rng = np.random.default_rng(0)
    # Low dimension so many pairs cross the threshold, and n not a multiple of the block.
    x = rng.normal(size=(203, 6)).astype(np.float32)
    edges = similarity_edges(x, tau, block_size=block)
    got = set(zip(edges.src.tolist(), edges.dst.tolist(), strict=True))
    assert got == _dense(x, tau)
    assert len(got) == len(edges)  # each pair once
    assert np.all(edges.src < edges.dst)
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(edges.weight, np.sum(xn[edges.src] * xn[edges.dst], axis=1), atol=1e-5)
    # Sorted by (src, dst): the edge list is the same whatever the block size.
    assert list(zip(edges.src.tolist(), edges.dst.tolist(), strict=True)) == sorted(got)


def test_zero_vectors_and_empty_input():
    x = np.array([[1, 0], [0, 0], [1, 0.01]], dtype=np.float32)
    edges = similarity_edges(x, 0.5, block_size=2)
    assert edges.as_tuples() == [(0, 2, pytest.approx(1.0, abs=1e-3))]
    empty = similarity_edges(np.zeros((0, 4), dtype=np.float32), 0.5)
    assert len(empty) == 0 and empty.n_nodes == 0
    with pytest.raises(ValueError):
        similarity_edges(x, 0.5, block_size=0)
