"""Does the synthesized data teach agency? Task-set measures, with τ-bench v1's own tasks side by side.

One row per task set: the random walk and the goal planner on the same built
environments (or the tasks stored in an existing warehouse with ``--home``),
and τ-bench v1 retail and airline (shared data). Columns:

  calls      calls per task: mean / p50 / max
  consume    share of non-first calls that use a value an earlier call returned
             (τ-bench stores no results: there, a value the instruction does not give)
  from_user  share of tasks whose first call needs only what the user holds (no internal id)
  names_tool share of instructions that name a tool (as written or with spaces)
  internal   share of instructions that state an internal id the user could not know
  seqs       distinct tool sequences per task
  refusal    share of tasks asking for what a rule forbids (τ-bench: not marked)
  writes     share of tasks with a write
  words      instruction length in words (mean)
  distinct2  distinct word 2-grams / all 2-grams over the set's instructions
  secrets    share of instructions stating a credential (an API key or token the environment handles)
  hashes     share of instructions saying a catalog hash of a tool name ('find bus 52f45c')
  salad      share of instructions stating a free-text value of two or more filler words only
             (Faker's lorem list: 'help past', 'where no'), the sign of a value no field meaning chose

Targets (issue #15): calls mean >= 3.5, consume >= 0.60, names_tool <= 0.05,
refusal >= 0.10, internal 0.

    python bench/data_quality.py                         # the shipped sample catalog
    python bench/data_quality.py --catalog PATH [PATH]   # any tool files (BFCL, StableToolBench, ...)
    python bench/data_quality.py --home .envscale        # the tasks a warehouse holds
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TAU = REPO.parent / "shared" / "data" / "tau-bench" / "derived" / "taubench_v1_tools_and_tasks.json"
SAMPLE = REPO / "envscale" / "samples" / "catalog"


@dataclass(frozen=True)
class Item:
    """One task, reduced to what the measures need."""

    instruction: str
    calls: tuple[tuple[str, dict[str, Any], Any], ...]  # (tool, arguments, result or None when not stored)
    kinds: dict[str, str]  # tool → read/write
    tools: frozenset[str]  # every tool of its environment
    refusal: bool = False
    results_known: bool = True
    # (tool, argument) → the table an id argument refers to (the program's binding), as fact_kind reads it
    id_tables: dict[tuple[str, str], str] = field(default_factory=dict)


def _scalars(value: Any) -> Iterable[Any]:
    from envscale.environments.synthesis.values import scalars

    return scalars(value)


def _norm(v: Any) -> str:
    return str(v).strip().lower()


def _kind(item: Item, tool: str, arg: str) -> str:
    """How the user relates to an argument, with the table its binding refers to (as the planner reads it)."""
    from envscale.environments.synthesis.knowledge import fact_kind

    return fact_kind(arg, item.id_tables.get((tool, arg)))


def measure(items: list[Item]) -> dict[str, Any]:
    from envscale.environments.schema.naming import is_credential
    from envscale.environments.synthesis.knowledge import is_identifier

    n = len(items)
    if not n:
        return {"tasks": 0}
    lengths = [len(i.calls) for i in items]
    consuming = later = from_user = names_tool = internal = writes = secrets = hashes = salad = 0
    grams: list[tuple[str, str]] = []
    for item in items:
        text = item.instruction.lower()
        seen: set[str] = set()
        for index, (_, args, result) in enumerate(item.calls):
            values = [_norm(v) for v in _scalars(args) if not isinstance(v, bool)]
            if index:
                later += 1
                if item.results_known:
                    consuming += any(v in seen for v in values)
                else:
                    consuming += any(v not in text for v in values)
            seen.update(_norm(v) for v in _scalars(result))
        first_tool, first = (item.calls[0][0], item.calls[0][1]) if item.calls else ("", {})
        from_user += all(_kind(item, first_tool, k) != "internal" for k in first if is_identifier(k))
        names_tool += any(t.lower() in text or t.replace("_", " ").lower() in text for t in item.tools)
        internal += any(
            is_identifier(k) and _kind(item, tool, k) == "internal" and _norm(v) in text
            for tool, args, _ in item.calls
            for k, v in args.items()
            if isinstance(v, str | int) and len(str(v)) >= 3
        )
        writes += any(item.kinds.get(name) == "write" for name, _, _ in item.calls)
        stated = [(k, v) for _, args, _ in item.calls for k, v in args.items() if isinstance(v, str)]
        stated = [(k, v) for k, v in stated if len(v) >= 3 and v.lower() in text]
        secrets += any(is_credential(k) for k, _ in stated)
        hashes += any(h in text for h in _name_hashes(item.tools))
        # Two or more filler words: one alone may be a real value ('economy' is on the list too).
        salad += any(len(v.split()) > 1 and all(w.lower() in _filler() for w in v.split()) for _, v in stated)
        words = item.instruction.lower().split()
        grams.extend(zip(words, words[1:], strict=False))
    return {
        "tasks": n,
        "calls": f"{statistics.mean(lengths):.2f} / {statistics.median(lengths):g} / {max(lengths)}",
        "calls_mean": statistics.mean(lengths),
        "consume": consuming / later if later else 0.0,
        "from_user": from_user / n,
        "names_tool": names_tool / n,
        "internal": internal / n,
        "seqs": len({tuple(c[0] for c in i.calls) for i in items}) / n,
        "refusal": sum(i.refusal for i in items) / n if items[0].results_known else None,
        "writes": writes / n,
        "words": statistics.mean(len(i.instruction.split()) for i in items),
        "distinct2": len(set(grams)) / len(grams) if grams else 0.0,
        "secrets": secrets / n,
        "hashes": hashes / n,
        "salad": salad / n,
    }


_HASH = re.compile(r"_(?=[0-9a-f]*[0-9])([0-9a-f]{6}|[0-9a-f]{8})(?:_\d+)?$")


def _name_hashes(tools: Iterable[str]) -> set[str]:
    return {m.group(1) for t in tools for m in [_HASH.search(t)] if m}


@functools.cache
def _filler() -> frozenset[str]:
    from faker.providers.lorem.en_US import Provider

    return frozenset(Provider.word_list)


# -- task sets -----------------------------------------------------------------------------------------


def tau_bench_items(path: Path = TAU) -> dict[str, list[Item]]:
    data = json.loads(path.read_text())
    out: dict[str, list[Item]] = {}
    for domain in ("retail", "airline"):
        tools = data["tools"][domain]
        names = frozenset(t["function"]["name"] for t in tools)
        kinds = {
            n: ("read" if n.startswith(("get_", "find_", "list_", "search_", "calculate")) else "write")
            for n in names
        }
        items = []
        for split, tasks in data["tasks"].items():
            if split != f"{domain}/tasks_test":  # the gold test sets (train tasks are one-call action lists)
                continue
            for task in tasks:
                calls = tuple((a["name"], a.get("kwargs") or {}, None) for a in task["actions"])
                if calls:
                    items.append(Item(task["instruction"], calls, kinds, names, results_known=False))
        out[f"τ-bench {domain} (test)"] = items
    return out


def planned_items(envs: Path, planner: str, blueprints: int, seed: int = 0) -> list[Item]:
    """Blueprints + template instructions, as `synthesize` stores them, for every environment in ``envs``."""
    from envscale.config import SynthesizeSettings
    from envscale.environments.manifest import EnvironmentManifest
    from envscale.environments.synthesis.intents import template_task
    from envscale.environments.synthesis.run import sample_environment

    settings = SynthesizeSettings(planner=planner, blueprints_per_environment=blueprints, seed=seed)  # type: ignore[arg-type]
    items = []
    for path in sorted(envs.glob("*.json")):
        manifest = EnvironmentManifest.read(path)
        kept, _ = sample_environment(manifest, envs, settings)
        items.extend(_item(bp, template_task(bp).instruction, manifest) for bp in kept)
    return items


def stored_items(home: Path) -> list[Item]:
    """The kept blueprints and their tasks in an existing warehouse."""
    from envscale.environments.store.environments import stored_environments
    from envscale.environments.synthesis import store
    from envscale.warehouse import open_warehouse

    wh = open_warehouse(home / "warehouse.duckdb")
    envs = {e.manifest.env_id: e.manifest for e in stored_environments(wh, status=None, read_only=True)}
    items = []
    for env_id, manifest in envs.items():
        tasks = store.load_tasks(wh, env_id)
        for bp in store.load_blueprints(wh, env_id):
            if bp.blueprint_id in tasks:
                items.append(_item(bp, tasks[bp.blueprint_id].instruction, manifest))
    return items


def _item(bp: Any, instruction: str, manifest: Any) -> Item:
    return Item(
        instruction=instruction,
        calls=tuple((c.name, c.arguments, c.result) for c in bp.calls),
        kinds={t.name: t.kind for t in manifest.tools},
        tools=frozenset(t.name for t in manifest.tools),
        refusal=bp.refusal,
        id_tables={
            (p.name, b.param): b.table
            for p in manifest.programs
            for b in p.bindings
            if b.table and b.role in ("key", "ref")
        },
    )


def build(catalog: list[Path], home: Path) -> Path:
    """Ingest + build with the real CLI into ``home``; returns its environments folder."""
    env = {**os.environ, "ENVSCALE_HOME": str(home)}
    exe = Path(sys.executable).with_name("envscale")
    for args in (["ingest", *map(str, catalog)], ["build"]):
        done = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(
                f"envscale {args[0]} failed (rc {done.returncode}): {done.stderr.strip().splitlines()[-1:]}"
            )
    return home / "environments"


# -- the table ---------------------------------------------------------------------------------------------

_COLUMNS = (
    "tasks",
    "calls",
    "consume",
    "from_user",
    "names_tool",
    "internal",
    "seqs",
    "refusal",
    "writes",
    "words",
    "distinct2",
    "secrets",
    "hashes",
    "salad",
)


def table(rows: dict[str, dict[str, Any]]) -> str:
    def cell(v: Any) -> str:
        if v is None:
            return "—"
        if isinstance(v, float):
            return f"{v:.2f}"
        return str(v)

    head = "| task set | " + " | ".join(_COLUMNS) + " |"
    rule = "|---" * (len(_COLUMNS) + 1) + "|"
    body = [
        "| " + name + " | " + " | ".join(cell(m.get(c)) for c in _COLUMNS) + " |" for name, m in rows.items()
    ]
    return "\n".join([head, rule, *body])


def targets(m: dict[str, Any]) -> list[str]:
    """The issue's targets this set misses."""
    misses = []
    if m.get("calls_mean", 0) < 3.5:
        misses.append(f"calls mean {m.get('calls_mean', 0):.2f} < 3.5")
    if m.get("consume", 0) < 0.6:
        misses.append(f"consume {m.get('consume', 0):.2f} < 0.60")
    if m.get("names_tool", 1) > 0.05:
        misses.append(f"names_tool {m.get('names_tool', 1):.2f} > 0.05")
    if (m.get("refusal") or 0) < 0.10:
        misses.append(f"refusal {m.get('refusal') or 0:.2f} < 0.10")
    if m.get("internal", 1) > 0:
        misses.append(f"internal {m.get('internal', 1):.2f} > 0")
    for column in ("secrets", "hashes"):  # never: nothing a customer could say
        if m.get(column, 0) > 0:
            misses.append(f"{column} {m[column]:.2f} > 0")
    return misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--catalog",
        nargs="+",
        type=Path,
        default=[SAMPLE],
        help="tool files to ingest and build (default: the sample catalog)",
    )
    parser.add_argument(
        "--home", type=Path, help="measure the tasks stored in this envscale home instead of building"
    )
    parser.add_argument(
        "--blueprints", type=int, default=12, help="blueprints per environment per planner (default 12)"
    )
    parser.add_argument("--out", type=Path, help="also write the table (Markdown) here")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    started = time.perf_counter()
    rows: dict[str, dict[str, Any]] = {}
    if args.home:
        rows[f"stored ({args.home})"] = measure(stored_items(args.home))
    else:
        with tempfile.TemporaryDirectory(prefix="envscale-dq-") as tmp:
            envs = build(args.catalog, Path(tmp) / "home")
            for planner in ("walk", "goal"):
                rows[f"generated: {planner}"] = measure(planned_items(envs, planner, args.blueprints))
    if TAU.exists():
        rows |= {name: measure(items) for name, items in tau_bench_items().items()}
    else:
        print(f"(τ-bench tasks not found at {TAU}: their rows are left out)")
    text = table(rows)
    print(text)
    for name, m in rows.items():
        if not name.startswith("τ-bench"):
            misses = targets(m)
            print(f"{name}: " + ("all targets met" if not misses else "misses " + "; ".join(misses)))
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
