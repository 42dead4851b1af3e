"""Source cohesion: tools written together (one namespace, else one file) stay in one domain."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from envscale.config import BuildSettings, EmbeddingSettings
from envscale.environments.catalog.ingest import ingest_paths
from envscale.environments.catalog.records import SourceRef
from envscale.environments.graph.communities import detect_domains, source_groups, source_key
from envscale.environments.graph.embedding import make_embedder
from envscale.environments.graph.similarity import similarity_edges
from envscale.models.dataset_export import EnvInfo, matches_vertical
from envscale.samples import __file__ as _samples_init

SAMPLES = Path(_samples_init).parent / "catalog"
DEMO = Path(__file__).resolve().parents[3] / "configs" / "demo.toml"


def _purity(tools, graph) -> float:
    source = {t.tool_id: source_key(t) for t in tools}
    counts = [Counter(source[i] for i in d.tool_ids) for d in graph.domains]
    total = sum(sum(c.values()) for c in counts)
    return sum(c.most_common(1)[0][1] for c in counts) / total


def test_cohesion_adds_to_same_source_pairs_only_and_blockwise_equals_dense():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(57, 5)).astype(np.float32)
    groups = rng.integers(0, 4, size=57)
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    dense = xn @ xn.T + 0.3 * (groups[:, None] == groups[None, :])
    want = {(i, j) for i in range(57) for j in range(i + 1, 57) if dense[i, j] > 0.4}
    for block in (5, 64):
        edges = similarity_edges(x, 0.4, block_size=block, groups=groups, cohesion=0.3)
        got = set(zip(edges.src.tolist(), edges.dst.tolist(), strict=True))
        assert got == want
        np.testing.assert_allclose(edges.weight, dense[edges.src, edges.dst], atol=1e-5)
    plain = similarity_edges(x, 0.4, block_size=64)
    assert len(plain) < len(want)  # the boost linked same-source pairs that cosine alone did not
    with pytest.raises(ValueError):
        similarity_edges(x, 0.4, groups=groups[:3], cohesion=0.3)


def test_source_key_prefers_namespace_then_file(tool_factory):
    a = tool_factory("get_a", {"a_id": "string"})
    b = a.model_copy(update={"tool_id": "b", "namespace": "Bank Accounts"})
    c = a.model_copy(
        update={"tool_id": "c", "sources": (SourceRef(file="/x/retail.json", pointer="/0", format="openai"),)}
    )
    assert source_key(b) == "ns:Bank Accounts"
    assert source_key(c) == "file:/x/retail.json"
    codes = source_groups([a, b, c, a])
    assert codes[0] == codes[3] and len(set(codes.tolist())) == 3


@pytest.mark.slow
def test_shipped_catalog_domains_are_one_source_each_and_retail_is_selectable(tmp_path):
    tools = ingest_paths([SAMPLES]).tools
    embedder = make_embedder(EmbeddingSettings(), tmp_path / "emb")
    graph = detect_domains(tools, BuildSettings(), embedder)
    assert _purity(tools, graph) >= 0.9
    assert not graph.dropped
    # Without the boost the catalog's domains mix sources (the library domain held bank tools).
    mixed = detect_domains(tools, BuildSettings(source_cohesion=0.0), embedder)
    assert _purity(tools, mixed) < 0.9
    # The demo's stage-2 selectors pick the domain holding the shop's order tools, and only it.
    by_id = {t.tool_id: t for t in tools}
    vertical = tomllib.loads(DEMO.read_text())["train"]["vertical"]
    picked = [
        d
        for d in graph.domains
        if matches_vertical(
            EnvInfo(
                env_id="e",
                name=d.name,
                origin="generated",
                domain_id=d.domain_id,
                domain_name=d.name,
                tags=d.tags,
            ),
            vertical,
        )
    ]
    assert len(picked) == 1
    names = {by_id[i].name for i in picked[0].tool_ids}
    assert {"create_order", "cancel_order", "get_order", "list_orders"} <= names
    assert {Path(by_id[i].sources[0].file).stem for i in picked[0].tool_ids} == {"retail_orders"}
