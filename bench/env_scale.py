"""End to end: 1,000 environments from a 30,000-tool catalog, through the real `build` flow (rules, no LLM).

    python bench/env_scale.py [--tools 30000] [--environments 1000] [--keep]

Setup (not timed): a fresh envscale home whose catalog holds ``--tools`` tools —
the real BFCL, StableToolBench and τ-bench tools from ../shared/data plus
scaled copies of them (bench/ingest.py's generator: renamed, reworded, in four
formats), ingested and persisted as usual. Then the measured run:
``envscale build --max-environments N`` in a subprocess (Prefect flow on its
ephemeral API, default settings: graph domains from cold MiniLM embeddings,
blockwise similarity, Louvain, size bounds; then schema inference, program
compilation and checks, seeding, self-test, GE contracts, warehouse
registration). Prints the phases and the target: ≤ 15 min on 2 cores.

The copies are near-duplicates of real tools by design; they embed to their own
(cold, uncached) vectors, so every phase does real work.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
TARGET_S = 15 * 60


def make_catalog(home: Path, shared: Path, n_tools: int) -> int:
    """Ingest real sources + scaled copies into ``home``'s warehouse, keeping the first ``n_tools``."""
    from ingest import real_sources, write_copies

    from envscale.config import IngestSettings
    from envscale.environments.catalog.ingest import ingest_paths
    from envscale.environments.catalog.store import persist_ingest
    from envscale.home import activate
    from envscale.warehouse import open_warehouse

    h = activate(home)
    sources = real_sources(shared)
    base = ingest_paths(sources, settings=IngestSettings())
    copies = max(0, -(-n_tools // max(len(base.tools), 1)) - 1)
    scaled = home / "scaled-sources"
    scaled.mkdir(parents=True, exist_ok=True)
    write_copies(list(base.tools), copies, scaled)
    result = ingest_paths([*sources, scaled], settings=IngestSettings())
    result = result.model_copy(update={"tools": result.tools[:n_tools]})
    persist_ingest(open_warehouse(h.warehouse), result, run_id="bench-setup")
    return len(result.tools)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tools", type=int, default=30_000)
    parser.add_argument("--environments", type=int, default=1000)
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home (its path is printed)")
    args = parser.parse_args()
    if not (args.shared_data / "stabletoolbench").is_dir():
        print(f"shared data not found under {args.shared_data}", file=sys.stderr)
        return 2
    home = Path(tempfile.mkdtemp(prefix="envscale-scale-"))
    t0 = time.perf_counter()
    n_tools = make_catalog(home, args.shared_data, args.tools)
    setup_s = time.perf_counter() - t0
    print(f"setup (not timed): catalog of {n_tools:,} tools in {setup_s:.0f} s; home {home}", flush=True)

    env = {**os.environ, "ENVSCALE_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "envscale.cli", "build", "--max-environments", str(args.environments)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    (home / "build.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        print(f"build failed (rc {proc.returncode}); log {home / 'build.log'}")
        return 1
    summary = _last_run_summary(home)
    print(f"\nenvscale: {args.environments:,} environments from {n_tools:,} tools ({os.cpu_count()} CPUs)")
    rows = [
        ("tools in the catalog", f"{n_tools:,}"),
        ("domains found", summary.get("domains")),
        ("environments accepted", summary.get("environments")),
        ("working tools", summary.get("working_tools")),
        ("dropped tools (schema/compile/self-test)", summary.get("dropped_tools")),
        ("tools left out of every domain", summary.get("graph_dropped_tools")),
        ("graph edges", summary.get("n_edges")),
        ("embedding (s, cold)", _s(summary.get("embed_s"))),
        ("similarity + Louvain + bounds (s)", _s(_sum(summary, "similarity_s", "louvain_s", "bounds_s"))),
        ("contract success", summary.get("contract_success")),
        ("wall time of `envscale build` (s)", f"{wall:.0f}"),
    ]
    for name, value in rows:
        print(f"{name:<38}{value!s:>12}")
    print(f"target ≤ {TARGET_S // 60} min: {'met' if wall <= TARGET_S else 'NOT met'} ({wall / 60:.1f} min)")
    if not args.keep:
        import shutil

        shutil.rmtree(home, ignore_errors=True)
    return 0


def _last_run_summary(home: Path) -> dict:
    from envscale.warehouse import open_warehouse

    with open_warehouse(home / "warehouse.duckdb").connect() as con:
        row = con.execute(
            "SELECT summary FROM runs WHERE flow = 'build' ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    summary = json.loads(row[0]) if row and row[0] else {}
    graph = {f"graph_{k}" if k in summary else k: v for k, v in (summary.get("graph") or {}).items()}
    return {**summary, **graph}


def _sum(d: dict, *keys: str) -> float | None:
    values = [d.get(k) for k in keys]
    return None if any(v is None for v in values) else sum(values)


def _s(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}"


if __name__ == "__main__":
    sys.exit(main())
