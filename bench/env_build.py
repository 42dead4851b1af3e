"""Environment build throughput (rules only, no LLM): N environments of ~30 tools each.

    python bench/env_build.py [--n 100] [--workers 2] [--tools-per-env 30]

Tools are StableToolBench's RapidAPI APIs (../shared/data), grouped by
category into domains of --tools-per-env; domains repeat with a different seed
when N exceeds the distinct ones, so N=1000 builds 1,000 environments from
30,000 tool slots. Measures the build step only (domain detection is
benchmarked with the graph). Target: 1,000 environments in ≤ 15 min on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ENVSCALE_SHARED_DATA", REPO.parent / "shared" / "data"))
_TYPES = {
    "STRING": "string",
    "NUMBER": "number",
    "INTEGER": "integer",
    "BOOLEAN": "boolean",
    "ARRAY": "array",
    "OBJECT": "object",
}


def rapidapi_tools() -> dict[str, list[SimpleNamespace]]:
    from envscale.environments.schema.naming import snake

    by_category: dict[str, dict[str, SimpleNamespace]] = defaultdict(dict)
    for path in sorted((SHARED / "stabletoolbench" / "solvable_queries" / "test_instruction").glob("*.json")):
        for query in json.loads(path.read_text()):
            for api in query.get("api_list", []):
                name = snake(f"{api['api_name']}_{api['tool_name']}")[:64]
                props, required = {}, []
                for group, req in (("required_parameters", True), ("optional_parameters", False)):
                    for p in api.get(group) or []:
                        pname = snake(p.get("name", "arg"))[:40]
                        props[pname] = {
                            "type": _TYPES.get(str(p.get("type", "STRING")).upper(), "string"),
                            "description": str(p.get("description", ""))[:200],
                        }
                        if req:
                            required.append(pname)
                kind = "read" if str(api.get("method", "GET")).upper() == "GET" else "write"
                by_category[api.get("category_name", "misc")][name] = SimpleNamespace(
                    name=name,
                    description=api.get("api_description") or name,
                    kind=kind,
                    parameters={"type": "object", "properties": props, "required": sorted(set(required))},
                )
    return {c: list(t.values()) for c, t in sorted(by_category.items())}


def main() -> int:
    from envscale.environments.builder import build_environment

    parser = argparse.ArgumentParser(
        prog="python bench/env_build.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--n",
        type=int,
        default=100,
        help="Environments to build (domains repeat with a new seed). Default 100.",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="Threads building environments at once. Default 2."
    )
    parser.add_argument(
        "--tools-per-env",
        type=int,
        default=30,
        help="Tools per domain (StableToolBench categories are cut into chunks of this size). Default 30.",
    )
    args = parser.parse_args()
    categories = rapidapi_tools()
    domains = [
        (c, tools[i : i + args.tools_per_env])
        for c, tools in categories.items()
        for i in range(0, len(tools), args.tools_per_env)
        if len(tools[i : i + args.tools_per_env]) >= 3
    ]
    jobs = [
        (f"{domains[i % len(domains)][0]}-{i}", domains[i % len(domains)][1], i // len(domains))
        for i in range(args.n)
    ]
    directory = Path(tempfile.mkdtemp(prefix="envscale-build-"))

    def one(job):
        name, tools, seed = job
        return build_environment(
            tools, name=name, environments_dir=directory, seed=seed, rows_per_table=20, min_working_tools=2
        )

    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        results = list(pool.map(one, jobs))
    wall = time.perf_counter() - t0
    accepted = [r for r in results if r.accepted]
    n_tools = sum(len(j[1]) for j in jobs)
    working = sum(len(r.manifest.tools) for r in results)
    reasons = Counter(d.reason.split(":")[0] for r in results for d in r.manifest.dropped)
    per_env = sorted(r.seconds for r in results)
    size = sum(p.stat().st_size for p in directory.iterdir())
    print(
        f"\nenvscale environment build ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, {args.workers} workers)"
    )
    print(f"{'environments built':32}{len(results):>10}")
    print(f"{'accepted':32}{len(accepted):>10}")
    print(f"{'tool slots in':32}{n_tools:>10}")
    print(f"{'working tools':32}{working:>10}  ({working / max(n_tools, 1):.1%})")
    print(f"{'wall time (s)':32}{wall:>10.1f}")
    print(
        f"{'per environment p50 / p95 (s)':32}{per_env[len(per_env) // 2]:>10.3f} / {per_env[int(len(per_env) * 0.95)]:.3f}"
    )
    print(f"{'projected 1,000 envs (min)':32}{wall / len(results) * 1000 / 60:>10.1f}   target ≤ 15")
    print(f"{'disk per environment (KB)':32}{size / max(len(accepted), 1) / 1024:>10.0f}")
    print("drop reasons:", dict(reasons.most_common(8)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
