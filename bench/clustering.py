"""Clustering quality of the tool graph against StableToolBench's 47 RapidAPI categories.

For every (text mode, τ, resolution) in the grid: domains from
``detect_domains`` (Louvain, size bounds from BuildSettings), then NMI and ARI
between domains and categories (scikit-learn). ``NMI``/``ARI`` count only tools
that got a domain; ``NMI*`` counts every dropped tool as a cluster of its own, so
dropping tools cannot buy a score; ``AMI*`` is the chance-corrected version of
``NMI*`` (NMI alone rewards many small clusters: all-singletons scores ~0.6
here). ``NMIns`` compares with the RapidAPI tool (the finer, same-backend
grouping). ``pure`` is the source-file purity of the same settings' domains on the
shipped sample catalog (envscale/samples/catalog; target >= 0.9). ``ceiling`` is the best any partition within ``max_domain_size``
can reach. ``cover`` is the share of tools kept.

    python bench/clustering.py                      # the default grid
    python bench/clustering.py --tau 0.6 0.7 --resolution 1 2 --text parameters

Embeddings are cached under the envscale home, so only the first run embeds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "stabletoolbench" / "solvable_queries" / "test_instruction"


def load_stabletoolbench(folder: Path) -> list[Any]:
    """Every distinct RapidAPI endpoint in the solvable queries, through the catalog's own ingestion."""
    from envscale.environments.catalog.ingest import ingest_paths

    result = ingest_paths([folder])
    # The category is the ground truth, so a tool without one cannot be scored.
    return [t for t in result.tools if t.categories]


def score(tools: list[Any], graph: Any) -> dict[str, float]:
    domain_of = graph.domain_of()
    truth = [t.categories[0] for t in tools]
    namespace = [t.namespace for t in tools]
    kept = [i for i, t in enumerate(tools) if t.tool_id in domain_of]
    pred_kept = [domain_of[tools[i].tool_id] for i in kept]
    pred_all = [domain_of.get(t.tool_id, f"dropped:{t.tool_id}") for t in tools]
    return {
        **_metrics(truth, pred_all, kept, pred_kept),
        "nmi_ns": _nmi(namespace, pred_all),
        "cover": len(kept) / len(tools),
    }


def _nmi(a: list[Any], b: list[Any]) -> float:
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(a, b))


def _metrics(
    truth: list[str], pred_all: list[str], kept: list[int], pred_kept: list[str]
) -> dict[str, float]:
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

    kept_truth = [truth[i] for i in kept]
    return {
        "nmi": _nmi(kept_truth, pred_kept) if kept else 0.0,
        "ari": float(adjusted_rand_score(kept_truth, pred_kept)) if kept else 0.0,
        "nmi_all": _nmi(truth, pred_all),
        "ari_all": float(adjusted_rand_score(truth, pred_all)),
        "ami_all": float(adjusted_mutual_info_score(truth, pred_all)),
    }


SAMPLES = REPO / "envscale" / "samples" / "catalog"


def purity(tools: list[Any], graph: Any) -> float:
    """Share of domain members that come from their domain's majority source file (the shipped catalog's domains)."""
    from collections import Counter

    source = {t.tool_id: Path(t.sources[0].file).stem for t in tools}
    sizes = [Counter(source[i] for i in d.tool_ids) for d in graph.domains]
    total = sum(sum(c.values()) for c in sizes)
    return sum(c.most_common(1)[0][1] for c in sizes) / total if total else 0.0


def ceiling(tools: list[Any], max_size: int) -> dict[str, float]:
    """The best a size-bounded partition can score: each category cut into pieces of ≤ max_size (by RapidAPI tool)."""
    by_cat: dict[str, list[int]] = {}
    for i, t in enumerate(
        sorted(range(len(tools)), key=lambda i: (tools[i].categories[0], tools[i].namespace or ""))
    ):
        by_cat.setdefault(tools[t].categories[0], []).append(t)
        del i
    pred = [""] * len(tools)
    for cat, members in by_cat.items():
        n_pieces = -(-len(members) // max_size)
        size = -(-len(members) // n_pieces)
        for k, idx in enumerate(members):
            pred[idx] = f"{cat}:{k // size}"
    truth = [t.categories[0] for t in tools]
    return _metrics(truth, pred, list(range(len(tools))), pred)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--tau", type=float, nargs="+", default=[0.5, 0.55, 0.6, 0.7, 0.8])
    parser.add_argument("--resolution", type=float, nargs="+", default=[0.25, 0.5, 1.0, 2.0])
    parser.add_argument("--text", nargs="+", default=["parameters", "full"], choices=["parameters", "full"])
    parser.add_argument("--unbounded", action="store_true", help="also run without size bounds (reference)")
    parser.add_argument("--json", type=Path, help="write the rows as JSON here")
    args = parser.parse_args(argv)

    from envscale.home import activate

    home = activate()
    from envscale.config import load_settings
    from envscale.environments.catalog.ingest import ingest_paths
    from envscale.environments.graph.communities import detect_domains
    from envscale.environments.graph.embedding import make_embedder

    settings = load_settings()
    if not args.data.is_dir():
        print(f"StableToolBench not found at {args.data}", file=sys.stderr)
        return 2
    tools = load_stabletoolbench(args.data)
    n_cat = len({t.categories[0] for t in tools})
    print(
        f"StableToolBench: {len(tools)} tools, {n_cat} categories, {len({t.namespace for t in tools})} RapidAPI tools"
    )

    rows: list[dict[str, Any]] = []
    header = (
        f"{'text':<10} {'tau':>5} {'res':>5} {'bounds':>7} {'edges':>8} {'domains':>7} {'cover':>6} "
        f"{'NMI':>6} {'ARI':>6} {'NMI*':>6} {'ARI*':>6} {'AMI*':>6} {'NMIns':>6} {'pure':>5} {'secs':>6}"
    )
    print(header)
    print("-" * len(header))
    top = ceiling(tools, settings.build.max_domain_size)
    print(
        f"{'ceiling':<10} {'':>5} {'':>5} {'≤' + str(settings.build.max_domain_size):>7} {'':>8} {'':>7} {1:>6.2f} "
        f"{top['nmi']:>6.3f} {top['ari']:>6.3f} {top['nmi_all']:>6.3f} {top['ari_all']:>6.3f} {top['ami_all']:>6.3f}"
    )
    for mode in args.text:
        embedder = make_embedder(
            settings.embedding.model_copy(update={"text": mode}), home.cache / "embeddings"
        )
        t0 = time.perf_counter()
        embedder.embed_tools(tools)
        print(
            f"# embedded ({mode}) in {time.perf_counter() - t0:.1f}s, cache hits {embedder.stats.hits}, misses {embedder.stats.misses}"
        )
        samples = ingest_paths([SAMPLES]).tools
        embedder.embed_tools(samples)
        bounds_options = [True, False] if args.unbounded else [True]
        for tau in args.tau:
            for res in args.resolution:
                for bounded in bounds_options:
                    update: dict[str, Any] = {"similarity_threshold": tau, "resolution": res}
                    if not bounded:
                        update |= {"min_domain_size": 1, "max_domain_size": 10**6}
                    build = settings.build.model_copy(update=update)
                    t0 = time.perf_counter()
                    graph = detect_domains(tools, build, embedder)
                    secs = time.perf_counter() - t0
                    m = score(tools, graph)
                    m["purity"] = purity(samples, detect_domains(samples, build, embedder))
                    row = {
                        "text": mode,
                        "tau": tau,
                        "resolution": res,
                        "bounded": bounded,
                        "edges": graph.n_edges,
                        "domains": len(graph.domains),
                        "seconds": round(secs, 2),
                        **{k: round(v, 4) for k, v in m.items()},
                    }
                    rows.append(row)
                    print(
                        f"{mode:<10} {tau:>5.2f} {res:>5.2f} {'yes' if bounded else 'no':>7} {graph.n_edges:>8} "
                        f"{len(graph.domains):>7} {m['cover']:>6.2f} {m['nmi']:>6.3f} {m['ari']:>6.3f} "
                        f"{m['nmi_all']:>6.3f} {m['ari_all']:>6.3f} {m['ami_all']:>6.3f} {m['nmi_ns']:>6.3f} {m['purity']:>5.2f} {secs:>6.1f}",
                        flush=True,
                    )
    bounded_rows = [r for r in rows if r["bounded"]]
    # AMI is corrected for chance, so neither many tiny domains nor dropped tools can buy a score.
    best = max(bounded_rows, key=lambda r: (r["ami_all"], r["ari_all"]))
    print(
        f"\nbest (bounded, by AMI*): text={best['text']} tau={best['tau']} resolution={best['resolution']} "
        f"NMI={best['nmi']:.3f} ARI={best['ari']:.3f} AMI*={best['ami_all']:.3f} cover={best['cover']:.2f} "
        f"domains={best['domains']}"
    )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "best": best}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
