"""Benchmark: ingest ≥ 30,000 tools (real catalogs plus a documented scaling) and report speed and memory.

Sources: BFCL v4 (question files + multi-turn func docs), StableToolBench and τ-bench from
../shared/data (~13,000 entries, ~5,900 distinct tools), plus ``--copies`` scaled copies of every
distinct real tool written to a temp folder: copy k renames the tool (``<name>_v<k>``), perturbs its
description (a deterministic word swap and a variant sentence) and is written in a rotating format
(OpenAI JSONL, MCP JSON, OpenAPI JSON, bare-function JSON), so every phase (detection, parsing,
$ref-free OpenAPI conversion, schema checks, exact/near dedupe, naming, warehouse write) does real work.
Copies are near-duplicates of their originals by design, which exercises near-duplicate flagging.

    python bench/ingest.py [--copies 5] [--shared-data ../shared/data] [--contract]

Prints a table of seconds per phase, tools/s, and peak RSS (resource.getrusage).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from envscale.config import IngestSettings  # noqa: E402
from envscale.environments.catalog.ingest import ingest_paths  # noqa: E402
from envscale.environments.catalog.records import ToolRecord  # noqa: E402
from envscale.environments.catalog.store import persist_ingest  # noqa: E402
from envscale.warehouse import open_warehouse  # noqa: E402

CHUNK = 2_000  # tools per generated file


def real_sources(shared: Path) -> list[Path]:
    bfcl = shared / "bfcl" / "data"
    return [
        *sorted(bfcl.glob("*.json")),
        bfcl / "multi_turn_func_doc",
        shared / "stabletoolbench" / "solvable_queries" / "test_instruction",
        shared / "tau-bench" / "derived" / "taubench_v1_tools_and_tasks.json",
    ]


def _perturb(text: str, rng: random.Random, k: int) -> str:
    words = text.split()
    if len(words) > 3:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words) + f" Variant {k} of this operation."


def write_copies(tools: list[ToolRecord], copies: int, out: Path, seed: int = 0) -> int:
    rng = random.Random(seed)
    written = 0
    for k in range(1, copies + 1):
        style = ("openai_jsonl", "mcp", "openapi", "bare")[(k - 1) % 4]
        for start in range(0, len(tools), CHUNK):
            batch = tools[start : start + CHUNK]
            entries = [
                (f"{t.name[:56]}_v{k}", _perturb(t.description, rng, k), t.parameters, t.returns, t.kind)
                for t in batch
            ]
            path = out / f"copy{k}_{start // CHUNK:03d}"
            if style == "openai_jsonl":
                lines = [
                    json.dumps(
                        {"type": "function", "function": {"name": n, "description": d, "parameters": p}}
                    )
                    for n, d, p, _, _ in entries
                ]
                path.with_suffix(".jsonl").write_text("\n".join(lines) + "\n")
            elif style == "mcp":
                tools_json = [
                    {
                        "name": n,
                        "description": d,
                        "inputSchema": p,
                        "annotations": {"readOnlyHint": kind == "read"},
                    }
                    for n, d, p, _, kind in entries
                ]
                path.with_suffix(".json").write_text(json.dumps({"tools": tools_json}))
            elif style == "openapi":
                paths = {}
                for n, d, p, r, kind in entries:
                    method = "get" if kind == "read" else "post"
                    op = {"operationId": n, "summary": d, "responses": {"200": {"description": "ok"}}}
                    if r is not None:
                        op["responses"]["200"]["content"] = {"application/json": {"schema": r}}
                    if method == "get":
                        op["parameters"] = [
                            {"name": q, "in": "query", "required": q in p.get("required", []), "schema": s}
                            for q, s in p.get("properties", {}).items()
                        ]
                    else:
                        op["requestBody"] = {"content": {"application/json": {"schema": p}}}
                    paths[f"/{n}"] = {method: op}
                spec = {
                    "openapi": "3.1.0",
                    "info": {"title": f"Scaled copy {k}", "version": "1"},
                    "paths": paths,
                }
                path.with_suffix(".json").write_text(json.dumps(spec))
            else:
                bare = [{"name": n, "description": d, "parameters": p} for n, d, p, _, _ in entries]
                path.with_suffix(".json").write_text(json.dumps(bare))
            written += len(batch)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument(
        "--shared-data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
    parser.add_argument("--contract", action="store_true", help="Also time the tool_catalog GE suite.")
    args = parser.parse_args()
    settings = IngestSettings()
    sources = real_sources(args.shared_data)
    if not all(p.exists() for p in sources):
        print(f"shared data not found under {args.shared_data}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="envscale-bench-") as tmp:
        tmp_path = Path(tmp)
        scaled = tmp_path / "scaled"
        scaled.mkdir()
        t0 = time.perf_counter()
        base = ingest_paths(sources, settings=settings)  # setup only: the tools to copy
        n_generated = write_copies(list(base.tools), args.copies, scaled)
        setup_s = time.perf_counter() - t0
        del base

        # the measured run: real sources + scaled copies, into a fresh warehouse
        t0 = time.perf_counter()
        result = ingest_paths([*sources, scaled], settings=settings)
        ingest_s = time.perf_counter() - t0
        wh = open_warehouse(tmp_path / "bench.duckdb")
        t1 = time.perf_counter()
        persisted = persist_ingest(wh, result, run_id="bench")
        persist_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        again = persist_ingest(wh, result, run_id="bench-2")
        rerun_s = time.perf_counter() - t2
        contract_s = None
        if args.contract:
            from envscale.data_contracts.runner import run_contract
            from envscale.data_contracts.tool_catalog import SUITE, catalog_frame, expectations

            t3 = time.perf_counter()
            contract = run_contract(SUITE, catalog_frame(result.tools), expectations)
            contract_s = time.perf_counter() - t3
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    entries = sum(s.entries for s in result.sources)
    total_s = ingest_s + persist_s
    rows = [(phase, seconds) for phase, seconds in result.timings.items()]
    rows += [("persist (warehouse write)", persist_s)]
    print(
        f"\nenvscale ingest benchmark  (cpus: {os.cpu_count()}, copies: {args.copies}, python {sys.version.split()[0]})"
    )
    print(
        f"setup (not timed below): {setup_s:.1f}s to read the real sources and write {n_generated:,} scaled tools"
    )
    print(f"\n{'phase':<28}{'seconds':>10}{'share':>9}")
    for phase, seconds in rows:
        print(f"{phase:<28}{seconds:>10.2f}{seconds / total_s:>9.1%}")
    print(f"{'total':<28}{total_s:>10.2f}")
    print(
        f"\nfiles {len(result.sources):,}  entries {entries:,}  accepted tools {len(result.tools):,}  "
        f"merged {result.n_merged:,}  rejected {len(result.rejections):,}  near-duplicates {result.n_near_duplicates:,}"
    )
    print(
        f"throughput: {entries / total_s:,.0f} entries/s, {len(result.tools) / total_s:,.0f} accepted tools/s"
    )
    print(
        f"warehouse: {persisted.inserted:,} rows inserted; idempotent re-persist {rerun_s:.2f}s, inserted {again.inserted}"
    )
    if contract_s is not None:
        print(
            f"tool_catalog contract over {len(result.tools):,} rows: {contract_s:.1f}s, success={contract.success}"
        )
    print(f"peak RSS: {peak_mb:,.0f} MB")
    target = len(result.tools) >= 30_000 and total_s <= 60 and peak_mb <= 2048
    print(f"target (≥30,000 tools, ≤60 s, ≤2 GB): {'met' if target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
