"""Why tools are dropped at the build's self-test, on the public BFCL + StableToolBench tool set.

    python bench/selftest_drops.py [--per-env 30] [--json out.json]

Ingests BFCL and StableToolBench from ../shared/data (not τ-bench: those import with hand-written
programs), groups the tools by category (else by source file) into domains of ``--per-env``,
builds each with the rules (no LLM) and counts the tools the self-test dropped, by reason. A drop
is "schema-rule" when the generated arguments broke the tool's own JSON Schema (the runtime's
``invalid_arguments``) or no valid arguments could be generated.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ENVSCALE_SHARED_DATA", REPO.parent / "shared" / "data"))


def sources() -> list[Path]:
    bfcl = SHARED / "bfcl" / "data"
    return [
        *sorted(bfcl.glob("*.json")),
        bfcl / "multi_turn_func_doc",
        SHARED / "stabletoolbench" / "solvable_queries" / "test_instruction",
    ]


def domains(per_env: int) -> list[list]:
    from envscale.config import IngestSettings
    from envscale.environments.catalog.ingest import ingest_paths

    tools = ingest_paths(sources(), settings=IngestSettings()).tools
    groups: dict[str, list] = defaultdict(list)
    for t in tools:
        key = t.categories[0] if t.categories else (t.sources[0].file if t.sources else "misc")
        groups[str(key)].append(t)
    out = []
    for key in sorted(groups):
        g = groups[key]
        out.extend(g[i : i + per_env] for i in range(0, len(g), per_env))
    return out


def category(reason: str) -> str:
    code = reason.split(":", 1)[0]
    return "schema-rule" if code in ("invalid_arguments", "no_valid_arguments") else code


def main() -> int:
    from envscale.environments.builder import build_environment

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-env", type=int, default=30)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not (SHARED / "bfcl").is_dir():
        print(f"no shared data at {SHARED}", file=sys.stderr)
        return 2
    stages: Counter[str] = Counter()
    selftest: Counter[str] = Counter()
    examples: dict[str, str] = {}
    drops: list[str] = []
    rules: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    n_tools = n_working = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, tools in enumerate(domains(args.per_env)):
            n_tools += len(tools)
            res = build_environment(
                tools, name=f"d{i}", environments_dir=Path(tmp), seed=i, min_working_tools=1
            )
            n_working += len(res.manifest.tools)
            rules.update(r.kind for r in res.manifest.rules)
            for t in res.manifest.selftest.tools if res.manifest.selftest else ():
                refused.update(t.refused)
            for d in res.manifest.dropped:
                stages[d.stage] += 1
                if d.stage == "selftest":
                    c = category(d.reason)
                    selftest[c] += 1
                    examples.setdefault(c, f"{d.name}: {d.reason[:160]}")
                    drops.append(f"{d.name}: {d.reason[:300]}")
    report = {
        "tools": n_tools,
        "working": n_working,
        "dropped_by_stage": dict(stages),
        "selftest_dropped_by_reason": dict(selftest.most_common()),
        "examples": examples,
        "rules_by_kind": dict(rules),
        "refusals_checked_by_kind": dict(refused),
    }
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps({**report, "drops": drops}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
