"""What every importer shares: checked tools with reasons for the rest, and gold-order dependency edges."""

from __future__ import annotations

from types import SimpleNamespace

from envscale.environments.imports import tau_bench_retail
from envscale.environments.imports.imported import checked_tools, gold_order_edges
from envscale.environments.programs.model import ToolProgram


def _spec(name: str, properties: dict | None = None) -> dict:
    schema = {"type": "object", "properties": properties or {}, "required": list(properties or {})}
    return {"function": {"name": name, "description": f"{name}.", "parameters": schema}}


def test_tools_without_a_program_or_failing_the_checker_are_dropped_with_the_reason():
    good = next(p for p in tau_bench_retail.PROGRAMS if p.name == "get_order_details")
    hostile = ToolProgram(name="peek", kind="read", result="SELECT * FROM read_csv('/etc/passwd')")
    mod = SimpleNamespace(
        PROGRAMS=(good, hostile), SCHEMA=tau_bench_retail.SCHEMA, UNSUPPORTED={"calculate": "no_sql: eval"}
    )
    specs = [
        _spec("get_order_details", {"order_id": {"type": "string"}}),
        _spec("peek"),
        _spec("calculate"),
        _spec("other"),
    ]
    tools, programs, dropped = checked_tools(mod, specs)
    assert [t.name for t in tools] == ["get_order_details"] and tools[0].kind == "read"
    assert programs == [good]
    reasons = {d.name: (d.stage, d.reason) for d in dropped}
    assert reasons["calculate"] == ("compile", "no_sql: eval")
    assert reasons["other"][0] == "compile" and reasons["other"][1].startswith("no_program")
    assert reasons["peek"][0] == "check" and "read_csv" in reasons["peek"][1]


def test_gold_order_edges_count_consecutive_pairs_and_skip_repeats():
    edges = gold_order_edges([["find", "get", "cancel"], ["find", "get"], ["get", "get"]])
    assert [(e.source, e.target, e.via) for e in edges] == [
        ("find", "get", "gold order x2"),
        ("get", "cancel", "gold order x1"),
    ]
