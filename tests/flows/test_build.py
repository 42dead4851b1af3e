"""The build flow under Prefect: catalog → domains → environments registered, contract checked, rerun reuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.runtime import open_episode
from envscale.flows.build import BuildFailed, build_environments
from envscale.flows.ingest import ingest_tools
from envscale.warehouse import open_warehouse

pytestmark = pytest.mark.slow


def test_build_flow_from_sample_catalog(home, prefect_harness) -> None:
    with pytest.raises(BuildFailed, match="catalog is empty"):
        build_environments(domains="categories")
    ingest_tools()
    out = build_environments(domains="categories")
    assert out["environments"] >= 2 and out["errors"] == 0
    assert out["contract_success"] is True
    wh = open_warehouse(home.warehouse)
    with wh.connect(read_only=True) as con:
        envs = con.execute("SELECT env_id, path, manifest, status, n_tools FROM environments").fetchall()
        n_domains = con.execute("SELECT count(*) FROM domains").fetchone()[0]
        tools = con.execute("SELECT working, count(*) FROM environment_tools GROUP BY 1").fetchall()
        contract = con.execute(
            "SELECT suite, success FROM contract_results WHERE run_id = ?", [out["run_id"]]
        ).fetchone()
    assert n_domains == out["domains"] and contract == ("environment_tables", True)
    assert dict(tools)[True] == out["working_tools"]
    accepted = [e for e in envs if e[3] == "accepted"]
    assert len(accepted) == out["environments"]
    env_id, path, manifest_json, _, n_tools = accepted[0]
    manifest = EnvironmentManifest.model_validate(json.loads(manifest_json))
    assert Path(path).is_file() and manifest.env_id == env_id and len(manifest.tools) == n_tools
    with open_episode(manifest, directory=Path(path).parent) as ep:
        read = next(t for t in manifest.selftest.tools if t.ok)
        assert ep.call(read.name, read.arguments).ok

    again = build_environments(domains="categories")
    assert again["reused"] == again["environments"] == out["environments"]
    assert open_warehouse(home.warehouse).counts()["environments"] == len(envs)


def test_a_domain_that_fails_to_build_keeps_its_reason_in_the_warehouse(home) -> None:
    from envscale.environments.build_records import BuildDomain, BuildOutcome
    from envscale.tasks.build import register_task

    wh = open_warehouse(home.warehouse)
    domain = BuildDomain(domain_id="d-broken", name="broken", tool_ids=("t1", "t2"))
    failed = BuildOutcome(name="broken", domain=domain, error="ConversionException: bad value")
    register_task.fn(wh, [failed], "run-x", "lh")
    with wh.connect(read_only=True) as con:
        row = con.execute(
            "SELECT name, n_tools, build_error FROM domains WHERE domain_id = 'd-broken'"
        ).fetchone()
        n_envs = con.execute("SELECT count(*) FROM environments").fetchone()[0]
    assert row == ("broken", 2, "ConversionException: bad value") and n_envs == 0


def test_a_rebuild_with_fewer_environments_supersedes_the_rest(home, prefect_harness) -> None:
    ingest_tools()
    full = build_environments(domains="categories")
    assert full["superseded"] == 0 and full["environments"] >= 2
    one = build_environments(domains="categories", max_environments=1)
    assert one["environments"] == 1 and one["superseded"] == full["environments"] - 1
    again = build_environments(domains="categories", max_environments=1)  # idempotent
    assert again["superseded"] == 0
    wh = open_warehouse(home.warehouse)
    with wh.connect(read_only=True) as con:
        statuses = dict(con.execute("SELECT status, count(*) FROM environments GROUP BY 1").fetchall())
    assert statuses == {"accepted": 1, "superseded": full["environments"] - 1}  # nothing deleted
    back = build_environments(domains="categories")  # the full set again: re-accepted, reused
    assert back["superseded"] == 0 and back["reused"] == full["environments"]
    with wh.connect(read_only=True) as con:
        assert con.execute("SELECT DISTINCT status FROM environments").fetchall() == [("accepted",)]


def test_build_parameters_are_validated(home, prefect_harness) -> None:
    from envscale.config import ConfigError

    with pytest.raises(ConfigError, match=r"build\.domains"):
        build_environments(domains="foo")
    with pytest.raises(ConfigError, match=r"build\.max_environments"):
        build_environments(max_environments=0)
