"""register_task: a build's result is the current set of generated environments.

Accepted generated environments a later build does not yield again become 'superseded'
(rows, files and trajectories kept); synthesis then loads only the accepted ones. Imported
environments are never superseded, a domain that failed to build keeps its environment,
a build that accepted nothing supersedes nothing, and a rerun changes nothing.
"""

from __future__ import annotations

import json

import pytest

from envscale.config import UsageError
from envscale.environments.build_records import BuildDomain, BuildOutcome, Registered
from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.synthesis.sample_env import build_sample_env
from envscale.integrity import check_warehouse
from envscale.tasks.build import register_task
from envscale.tasks.synthesize import load_environments_task
from envscale.warehouse import Warehouse, open_warehouse


def _env(base: EnvironmentManifest, name: str, *, origin: str = "generated") -> EnvironmentManifest:
    return base.model_copy(
        update={
            "env_id": f"env-{name}",
            "name": name,
            "origin": origin,
            "domain_id": f"dom-{name}" if origin == "generated" else None,
        }
    )


def _domain(m: EnvironmentManifest) -> BuildDomain | None:
    return BuildDomain(domain_id=m.domain_id, name=m.name, tool_ids=(m.name,)) if m.domain_id else None


def _result(m: EnvironmentManifest, accepted: bool = True) -> BuildOutcome:
    return BuildOutcome.built(m, path=f"/x/{m.env_id}.duckdb", accepted=accepted, domain=_domain(m))


def _error(m: EnvironmentManifest) -> BuildOutcome:
    return BuildOutcome(name=m.name, domain=_domain(m), error="ConversionException: transient")


def _register(wh: Warehouse, outcomes: list[BuildOutcome]) -> tuple[str, Registered]:
    """One build's registration under a real run row; (run_id, counts)."""
    run_id = wh.start_run("build", {})
    out = register_task.fn(wh, outcomes, run_id, "lh")
    wh.finish_run(run_id, "completed")
    return run_id, out


def _statuses(wh: Warehouse) -> dict[str, str]:
    with wh.connect(read_only=True) as con:
        return dict(con.execute("SELECT name, status FROM environments").fetchall())


def _superseded_by(wh: Warehouse, name: str) -> str | None:
    with wh.connect(read_only=True) as con:
        (report,) = con.execute("SELECT report FROM environments WHERE name = ?", [name]).fetchone()
    return json.loads(report).get("superseded_by")


def test_a_rebuild_supersedes_what_it_no_longer_yields_and_synthesis_skips_it(home) -> None:
    wh = open_warehouse(home.warehouse)
    base = build_sample_env(home.environments)
    # A categories build, plus an imported τ-bench-like environment.
    retail, hotel, tau = (
        _env(base, "retail_orders"),
        _env(base, "hotel"),
        _env(base, "tau", origin="imported"),
    )
    _, first = _register(wh, [_result(retail), _result(hotel), _result(tau)])
    assert first.superseded == 0
    # A graph build over the same catalog: other clusters, other environments.
    order_item, hotel_order = _env(base, "order-item"), _env(base, "hotel-order")
    graph_run, second = _register(wh, [_result(order_item), _result(hotel_order)])
    assert second.superseded == 2
    assert _statuses(wh) == {
        "retail_orders": "superseded",
        "hotel": "superseded",
        "tau": "accepted",  # imported: never superseded by a generated build
        "order-item": "accepted",
        "hotel-order": "accepted",
    }
    assert _superseded_by(wh, "retail_orders") == graph_run
    # Nothing is deleted, and synthesis takes only the accepted environments.
    loaded = sorted(m.name for m, _ in load_environments_task.fn(wh, []))
    assert loaded == ["hotel-order", "order-item", "tau"]
    with pytest.raises(UsageError, match="unknown environment.*retail_orders"):  # superseded: not selectable
        load_environments_task.fn(wh, ["retail_orders"])
    assert [m.name for m, _ in load_environments_task.fn(wh, ["tau", "env-hotel-order"])] == [
        "hotel-order",
        "tau",
    ]

    # Idempotent: the same build again flips nothing and keeps who superseded what.
    _, again = _register(wh, [_result(order_item), _result(hotel_order)])
    assert again.superseded == 0 and _statuses(wh)["retail_orders"] == "superseded"
    assert _superseded_by(wh, "retail_orders") == graph_run
    # Going back to the first build re-accepts its environments and supersedes the graph ones.
    _, back = _register(wh, [_result(retail), _result(hotel)])
    assert back.superseded == 2
    assert _statuses(wh) == {
        "retail_orders": "accepted",
        "hotel": "accepted",
        "tau": "accepted",
        "order-item": "superseded",
        "hotel-order": "superseded",
    }
    assert _superseded_by(wh, "retail_orders") is None
    assert check_warehouse(wh) == []


def test_a_failed_domain_or_a_build_that_accepted_nothing_supersedes_nothing(home) -> None:
    wh = open_warehouse(home.warehouse)
    base = build_sample_env(home.environments)
    a, b = _env(base, "a"), _env(base, "b")
    _register(wh, [_result(a), _result(b)])
    # b's domain failed to build this time (an error, not a verdict): b stays accepted.
    _, out = _register(wh, [_result(a), _error(b)])
    assert out.superseded == 0 and _statuses(wh) == {"a": "accepted", "b": "accepted"}
    # A build that accepted nothing (it raises BuildFailed) does not retire the working set.
    c = _env(base, "c")
    _, out = _register(wh, [_result(c, accepted=False)])
    assert out.superseded == 0
    assert _statuses(wh) == {"a": "accepted", "b": "accepted", "c": "rejected"}


def test_integrity_flags_unknown_statuses_and_superseded_imports(home) -> None:
    wh = open_warehouse(home.warehouse)
    base = build_sample_env(home.environments)
    _register(wh, [_result(_env(base, "gen")), _result(_env(base, "tau", origin="imported"))])
    assert check_warehouse(wh) == []
    with wh.transaction() as con:
        con.execute("UPDATE environments SET status = 'retired' WHERE name = 'gen'")
        con.execute("UPDATE environments SET status = 'superseded' WHERE name = 'tau'")
    problems = [p for p in check_warehouse(wh) if p.startswith("environments:")]
    assert len(problems) == 2
    assert "unknown status" in problems[0] and "imported environment(s) marked superseded" in problems[1]
