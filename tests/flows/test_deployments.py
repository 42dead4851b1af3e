"""prefect.yaml is real: a local server + process worker run a deployment triggered through the API."""

from __future__ import annotations

import asyncio
import os

import pytest

from envscale.services import LocalPrefectStack


@pytest.mark.slow
def test_deployment_run_completes_through_the_api(home, tmp_path, monkeypatch):
    with LocalPrefectStack(logs=tmp_path / "logs") as stack:
        monkeypatch.setenv("PREFECT_API_URL", stack.api_url)

        async def trigger():
            from prefect.client.orchestration import get_client
            from prefect.deployments import run_deployment

            async with get_client() as client:
                names = {d.name for d in await client.read_deployments()}
                assert {"envscale-pipeline", "nightly-synthesis", "evaluate-and-promote"} <= names
                nightly = await client.read_deployment_by_name("nightly-synthesis/nightly-synthesis")
                assert nightly.schedules and nightly.schedules[0].schedule.cron == "0 2 * * *"
            # The lightest real run: the pipeline restricted to the last stage.
            return await run_deployment(
                "pipeline/envscale-pipeline", parameters={"stages": ["promote"]}, timeout=420, poll_interval=2
            )

        flow_run = asyncio.run(trigger())
        log = (tmp_path / "logs" / "prefect-worker.log").read_text() if (tmp_path / "logs").exists() else ""
        assert flow_run.state is not None and flow_run.state.is_completed(), (flow_run.state, log[-3000:])
    assert os.environ["PREFECT_API_URL"] == stack.api_url
