"""The build's records: one outcome per domain or import, and the report the flow prints and stores."""

from __future__ import annotations

import pickle

import pytest
from pydantic import ValidationError

from envscale.environments.build_records import (
    BuildDomain,
    BuildOutcome,
    BuildReport,
    Registered,
    import_failures,
)
from envscale.environments.synthesis.sample_env import build_sample_env


def test_the_report_counts_each_kind_of_outcome_and_rows_follow_the_build_order(tmp_path) -> None:
    shop = build_sample_env(tmp_path)
    domain = BuildDomain(domain_id="d1", name="shop", tool_ids=("t1", "t2"), edges=(("t1", "t2"),))
    broken = BuildDomain(domain_id="d2", name="broken", tool_ids=("t3",))
    outcomes = [
        BuildOutcome.built(shop, path=tmp_path / "a.duckdb", domain=domain, seconds=1.5, reused=True),
        BuildOutcome.built(shop, path=tmp_path / "b.duckdb", accepted=False, domain=domain),
        BuildOutcome.failed(
            ValueError("bad\nvalue " + "x" * 600), name=broken.name, domain=broken, limit=500
        ),
        BuildOutcome.failed(FileNotFoundError("no tau-bench data"), name="tau_bench_retail"),
        BuildOutcome.built(shop, path=None),  # an import: no domain, always accepted
    ]
    assert [o.status for o in outcomes] == ["accepted", "rejected", "error", "error", "accepted"]
    assert outcomes[0].path == str(tmp_path / "a.duckdb") and outcomes[4].path == ""
    assert len(outcomes[2].error or "") == 500 and outcomes[2].name == "broken"

    registered = Registered(domains=2, environments=3, tools=9, superseded=1)
    report = BuildReport.of(outcomes, domains=2, registered=registered, contract_success=True, stats={})
    s = report.summary
    assert (s.environments, s.rejected, s.errors, s.reused, s.superseded) == (2, 1, 2, 1, 1)
    assert s.working_tools == 2 * len(shop.tools) and s.dropped_tools == 3 * len(shop.dropped)
    assert s.domain_method is None and "registered" not in s.scalars() and "graph" not in s.scalars()
    assert s.model_dump()["registered"] == registered.model_dump()
    assert [r.status for r in report.rows] == [o.status for o in outcomes]
    error_row = report.rows[2]
    assert error_row.environment == "broken" and "\n" not in error_row.reason and error_row.env_id == ""
    assert report.rows[4].environment == shop.name and report.rows[4].env_id == shop.env_id

    # Only imports fail a build; a generated domain's error is recorded, not raised.
    assert import_failures(outcomes) == "tau_bench_retail: FileNotFoundError: no tau-bench data"


def test_records_are_frozen_and_survive_a_task_boundary(tmp_path) -> None:
    outcome = BuildOutcome.built(build_sample_env(tmp_path), path=tmp_path / "x.duckdb")
    assert pickle.loads(pickle.dumps(outcome)) == outcome  # Dask/Ray runners pickle task results
    with pytest.raises(ValidationError):
        outcome.accepted = False  # type: ignore[misc]
