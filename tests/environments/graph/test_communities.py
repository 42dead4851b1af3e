from __future__ import annotations

import random

import numpy as np
import pytest

from envscale.config import BuildSettings
from envscale.environments.build_records import BuildDomain
from envscale.environments.graph.communities import detect_domains
from envscale.warehouse import open_warehouse


class PlantedEmbedder:
    """Vectors with a known cluster structure: tools named ``<group>_<i>`` sit near their group's centre.

    The community algorithm is what is under test here; the text model is tested
    in test_embedding.py. Vectors depend on the tool name only (not call order).
    """

    def __init__(self, centres: dict[str, np.ndarray], noise: float = 0.05) -> None:
        self.centres = centres
        self.noise = noise
        self.text_mode = "planted"

    def embed_tools(self, tools):
        rows = []
        for t in tools:
            group = t.name.rsplit("_", 1)[0]
            rng = np.random.default_rng(sum(map(ord, t.name)) * 7919 + len(t.name))
            rows.append(self.centres[group] + self.noise * rng.normal(size=self.centres[group].shape))
        return np.asarray(rows, dtype=np.float32)


def _centres(names: list[str], dim: int = 32, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(dim, dim)))[0]  # orthogonal: groups far apart
    return {n: basis[i] for i, n in enumerate(names)}


def _catalog(tool_factory, sizes: dict[str, int], category: dict[str, str] | None = None):
    return [
        tool_factory(f"{g}_{i}", {f"{g}_id": "string"}, category=(category or {}).get(g, g))
        for g, n in sizes.items()
        for i in range(n)
    ]


def _settings(**kw) -> BuildSettings:
    base = {
        "similarity_threshold": 0.6,
        "resolution": 1.0,
        "min_domain_size": 3,
        "max_domain_size": 30,
        "seed": 0,
        # Every planted tool comes from the one file "test": the source boost is tested in test_source_cohesion.py.
        "source_cohesion": 0.0,
    }
    return BuildSettings(**{**base, **kw})


def test_planted_groups_become_domains_named_after_their_category(tool_factory):
    sizes = {"orders": 12, "weather": 9, "music": 6}
    tools = _catalog(tool_factory, sizes, {"orders": "eCommerce", "weather": "Weather", "music": "Music"})
    graph = detect_domains(tools, _settings(), PlantedEmbedder(_centres(list(sizes))))
    by_name = {t.tool_id: t.name.rsplit("_", 1)[0] for t in tools}
    groups = sorted(sorted({by_name[t] for t in d.tool_ids}) for d in graph.domains)
    assert groups == [["music"], ["orders"], ["weather"]]
    assert [len(d.tool_ids) for d in graph.domains] == [12, 9, 6]  # largest first
    assert graph.domains[0].name.startswith("ecommerce-orders")
    assert "eCommerce" in graph.domains[0].tags
    assert not graph.dropped
    d = graph.domains[0]
    assert len(d.edges) == 12 * 11 // 2  # every pair inside a tight group is linked
    assert all(e.source < e.target and e.source in d.tool_ids and e.target in d.tool_ids for e in d.edges)


def test_deterministic_under_seed_whatever_the_input_order(tool_factory):
    sizes = {"a": 25, "b": 20, "c": 15, "d": 2}
    tools = _catalog(tool_factory, sizes)
    # Overlapping groups, so Louvain has real choices to make.
    centres = _centres(list(sizes))
    centres["b"] = (centres["a"] + centres["b"]) / np.sqrt(2)
    embedder = PlantedEmbedder(centres, noise=0.4)
    settings = _settings(similarity_threshold=0.3, max_domain_size=18)
    first = detect_domains(tools, settings, embedder)
    shuffled = tools[:]
    random.Random(7).shuffle(shuffled)
    again = detect_domains(shuffled, settings, embedder)
    assert again.model_dump(exclude={"stats"}) == first.model_dump(exclude={"stats"})
    assert first.lineage_hash == again.lineage_hash
    other_seed = detect_domains(tools, settings.model_copy(update={"seed": 1}), embedder)
    assert other_seed.lineage_hash != first.lineage_hash  # the seed is part of the lineage


def test_size_bounds_split_big_attach_near_and_drop_far(tool_factory):
    sizes = {"big": 70, "mid": 10, "near": 2, "far": 2}
    tools = _catalog(tool_factory, sizes)
    centres = _centres(["big", "mid", "far", "spare"])
    # 'near' sits between 'mid' and nowhere: close to mid's centre, but under τ to each member.
    centres["near"] = 0.75 * centres["mid"] + 0.66 * centres["spare"]
    settings = _settings(
        similarity_threshold=0.8, min_domain_size=3, max_domain_size=25, attach_threshold=0.6
    )
    graph = detect_domains(tools, settings, PlantedEmbedder(centres, noise=0.03))
    sizes_out = [len(d.tool_ids) for d in graph.domains]
    assert all(3 <= s <= 25 for s in sizes_out), sizes_out
    group = {t.tool_id: t.name.rsplit("_", 1)[0] for t in tools}
    big_domains = [d for d in graph.domains if {group[t] for t in d.tool_ids} == {"big"}]
    assert sum(len(d.tool_ids) for d in big_domains) == 70 and len(big_domains) >= 3
    assert all(any("70 tools" in n for n in d.notes) for d in big_domains)
    mid = next(d for d in graph.domains if "mid" in {group[t] for t in d.tool_ids})
    assert {group[t] for t in mid.tool_ids} == {"mid", "near"}
    assert any("attached 2 tool(s)" in n for n in mid.notes)
    assert sorted(group[d.tool_id] for d in graph.dropped) == ["far", "far"]
    assert all(
        "below min_domain_size=3" in d.reason and "attach_threshold" in d.reason for d in graph.dropped
    )
    assert graph.stats["dropped_tools"] == 2 and graph.stats["attached_tools"] == 2


def test_a_dense_clique_is_cut_into_equal_pieces(tool_factory):
    tools = _catalog(tool_factory, {"same": 45})
    graph = detect_domains(
        tools, _settings(max_domain_size=20), PlantedEmbedder(_centres(["same"]), noise=0.0)
    )
    assert sorted(len(d.tool_ids) for d in graph.domains) == [15, 15, 15]
    assert all("equal pieces" in d.notes[0] for d in graph.domains)


def test_full_domains_refuse_attachment(tool_factory):
    tools = _catalog(tool_factory, {"mid": 5, "near": 2})
    centres = _centres(["mid", "spare"])
    centres["near"] = 0.75 * centres["mid"] + 0.66 * centres["spare"]
    settings = _settings(similarity_threshold=0.8, max_domain_size=6, attach_threshold=0.6)
    graph = detect_domains(tools, settings, PlantedEmbedder(centres, noise=0.03))
    assert len(graph.dropped) == 2 and "full" in graph.dropped[0].reason


def test_domains_land_in_the_warehouse(tmp_path, tool_factory):
    tools = _catalog(tool_factory, {"orders": 4, "users": 3})
    graph = detect_domains(tools, _settings(), PlantedEmbedder(_centres(["orders", "users"])))
    wh = open_warehouse(tmp_path / "w.duckdb")

    def rows(run_id: str) -> list[dict]:
        # The build's own record writes the domains rows (environments/build_records.py).
        return [
            BuildDomain(domain_id=d.domain_id, name=d.name, tool_ids=d.tool_ids, tags=d.tags).warehouse_row(
                run_id=run_id, lineage_hash=graph.lineage_hash, build_error=None
            )
            for d in graph.domains
        ]

    wh.insert("domains", rows("r1"))
    wh.insert("domains", rows("r2"))  # a rerun adds no duplicates
    with wh.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT domain_id, n_tools, run_id, lineage_hash FROM domains ORDER BY n_tools DESC"
        ).fetchall()
    assert [(r[1], r[2]) for r in rows] == [(4, "r1"), (3, "r1")]
    assert {r[0] for r in rows} == {d.domain_id for d in graph.domains}
    assert {r[3] for r in rows} == {graph.lineage_hash}


def test_empty_and_edgeless_catalogs(tool_factory):
    empty = detect_domains([], _settings(), PlantedEmbedder({}))
    assert empty.domains == () and empty.n_tools == 0
    tools = _catalog(tool_factory, {"a": 1, "b": 1})
    lonely = detect_domains(tools, _settings(), PlantedEmbedder(_centres(["a", "b"])))
    assert lonely.domains == () and len(lonely.dropped) == 2
    assert "no domain formed" in lonely.dropped[0].reason


@pytest.mark.slow
def test_minilm_separates_unrelated_tool_families(tmp_path, tool_factory):
    from envscale.config import EmbeddingSettings
    from envscale.environments.graph.embedding import make_embedder

    tools = [
        tool_factory("get_current_weather", {"city": "string", "units": "string"}),
        tool_factory("get_weather_forecast", {"city": "string", "days": "integer", "units": "string"}),
        tool_factory("get_air_quality", {"city": "string", "country_code": "string"}),
        tool_factory("get_order", {"order_id": "string"}),
        tool_factory("cancel_order", {"order_id": "string", "reason": "string"}, kind="write"),
        tool_factory("return_order_items", {"order_id": "string", "item_ids": "array"}, kind="write"),
        tool_factory("track_order_shipment", {"order_id": "string", "carrier": "string"}),
    ]
    embedder = make_embedder(EmbeddingSettings(), tmp_path / "emb")
    graph = detect_domains(tools, _settings(similarity_threshold=0.5, min_domain_size=2), embedder)
    names = sorted(sorted(t.name for t in tools if t.tool_id in d.tool_ids) for d in graph.domains)
    assert ["cancel_order", "get_order", "return_order_items", "track_order_shipment"] in names
    assert ["get_air_quality", "get_current_weather", "get_weather_forecast"] in names


def test_a_domain_without_a_majority_category_is_named_after_its_words(tool_factory):
    # "orders" is a category of two of the six tools: no category holds half, and the only name word
    # is a category word; the words still name the domain better than the generic fallback.
    categories = ["Orders", "Orders", "Shop", "Shop", "Retail", "Retail"]
    tools = [
        tool_factory(f"orders_{i}", {"orders_id": "string"}, category=c) for i, c in enumerate(categories)
    ]
    graph = detect_domains(tools, _settings(), PlantedEmbedder(_centres(["orders"])))
    assert [d.name for d in graph.domains] == ["orders"]
