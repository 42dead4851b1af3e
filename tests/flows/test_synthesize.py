"""The synthesize flow end to end: Prefect, warehouse, a real local endpoint stand-in, resume, artifact, CLI."""

from __future__ import annotations

import pytest

from envscale.environments.synthesis.sample_env import register_sample_env
from envscale.llm import standin as s
from envscale.warehouse import open_warehouse


@pytest.fixture
def agent_server(monkeypatch):
    with s.StandInServer(s.tool_then_answer) as srv:
        monkeypatch.setenv("ENVSCALE_LLM__AGENT__BASE_URL", srv.base_url)
        yield srv


@pytest.mark.slow
def test_synthesize_flow_writes_trajectories_resumes_and_publishes_an_artifact(
    home, prefect_harness, agent_server
):
    from prefect.client.orchestration import get_client

    from envscale.flows.registry import stage

    wh = open_warehouse(home.warehouse)
    register_sample_env(wh, home.environments)
    synthesize = stage("synthesize").load()  # the registry entry is the flow
    assert synthesize.name == "synthesize"

    result = synthesize(blueprints_per_environment=3)
    assert result["trajectories"] == 3 and result["skipped"] == 0
    again = synthesize(blueprints_per_environment=3)
    assert again["trajectories"] == 0 and again["skipped"] == 3
    counts = wh.counts()
    assert counts["trajectories"] == 3 and counts["tasks"] == 3
    with wh.connect() as con:
        status, summary = con.execute(
            "SELECT status, summary FROM runs WHERE run_id = ?", [result["run_id"]]
        ).fetchone()
    assert status == "completed" and '"sample_shop|user_stop": 3' in summary

    import asyncio

    async def artifacts():
        async with get_client() as client:
            return await client.read_artifacts()

    keys = {a.key for a in asyncio.run(artifacts())}
    assert "synthesize-terminations" in keys


@pytest.mark.slow
def test_synthesize_flow_without_environments_fails_clearly(home, prefect_harness, agent_server):
    from envscale.flows.synthesize import synthesize

    open_warehouse(home.warehouse)
    with pytest.raises(RuntimeError, match="run `envscale build` first"):
        synthesize()
    with open_warehouse(home.warehouse).connect() as con:
        assert con.execute("SELECT status FROM runs WHERE flow = 'synthesize'").fetchone()[0] == "failed"
