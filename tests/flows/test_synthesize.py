"""The synthesize flow end to end: Prefect, warehouse, a real local endpoint stand-in, resume, artifact, CLI."""

from __future__ import annotations

import pytest

from envscale.environments.synthesis.sample_env import register_sample_env
from envscale.warehouse import open_warehouse
from tests.support import standin as s


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


@pytest.fixture
def prefect_api_url(prefect_harness) -> str:
    """The test harness's Prefect API, for `envscale` subprocesses (no ephemeral server per process)."""
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


def _cli(env, *args):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "envscale.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_cli_synthesize_against_a_refusing_endpoint_exits_2_stores_nothing_and_a_rerun_writes(
    home, prefect_api_url
):
    # A real `envscale synthesize` process against a real HTTP stand-in that answers 401 to everything
    # (a wrong API key). Before, the run exited 0 with junk 'repeated_failure' trajectories that every
    # later run skipped as done.
    from tests.support.reliability.crash import cli_env

    wh = open_warehouse(home.warehouse)
    register_sample_env(wh, home.environments)
    with s.StandInServer(lambda request: s.error(401, message="Incorrect API key provided")) as srv:
        env = cli_env(home.root, PREFECT_API_URL=prefect_api_url, ENVSCALE_LLM__AGENT__BASE_URL=srv.base_url)
        failed = _cli(env, "synthesize", "--blueprints", "2")
        assert srv.served >= 1
    assert failed.returncode == 2, failed.stderr[-3000:]
    # Prefect logs the task's traceback above; the CLI's own verdict is one line, the last.
    lines = [line for line in failed.stderr.splitlines() if line.startswith("synthesize failed:")]
    assert len(lines) == 1 and failed.stderr.rstrip().endswith(lines[0]), failed.stderr[-3000:]
    assert lines[0].startswith("synthesize failed: endpoint refused: http 401: Incorrect API key provided")
    assert lines[0].endswith("— check llm.agent.api_key_env / model / base_url")
    with wh.connect() as con:
        assert con.execute("SELECT count(*) FROM trajectories").fetchone()[0] == 0
        status, error = con.execute(
            "SELECT status, error FROM runs WHERE flow = 'synthesize' ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    assert status == "failed" and "http 401" in error

    with s.StandInServer(s.tool_then_answer) as srv:
        env = cli_env(home.root, PREFECT_API_URL=prefect_api_url, ENVSCALE_LLM__AGENT__BASE_URL=srv.base_url)
        rerun = _cli(env, "synthesize", "--blueprints", "2")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    with wh.connect() as con:
        assert con.execute("SELECT termination, count(*) FROM trajectories GROUP BY 1").fetchall() == [
            ("user_stop", 2)
        ]


@pytest.mark.slow
def test_synthesize_refuses_unknown_environments_and_invalid_parameters(home, prefect_harness, agent_server):
    from envscale.config import ConfigError, UsageError
    from envscale.flows.synthesize import synthesize

    manifest = register_sample_env(open_warehouse(home.warehouse), home.environments)
    for selected in (["nosuch"], [manifest.env_id, "nosuch"], [manifest.name, "typo"]):
        with pytest.raises(UsageError, match=r"unknown environment\(s\): (nosuch|typo) —"):
            synthesize(environments=selected, blueprints_per_environment=1)
    with pytest.raises(ConfigError, match=r"(?s)blueprints_per_environment.*episodes_in_flight"):
        synthesize(blueprints_per_environment=0, episodes_in_flight=-1)
    assert open_warehouse(home.warehouse).counts()["trajectories"] == 0
