"""prefect.yaml is real: a local server + process worker run a deployment triggered through the API."""

from __future__ import annotations

import asyncio

import pytest

from envscale.services import LocalPrefectStack


@pytest.mark.slow
def test_deployment_run_completes_through_the_api(home, tmp_path, monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        LocalPrefectStack(logs=tmp_path / "logs") as stack,
        temporary_settings({PREFECT_API_URL: stack.api_url}),
    ):
        # The session's Prefect test harness may be active: point this client at the stack.

        async def trigger():
            from prefect.client.orchestration import get_client
            from prefect.deployments import run_deployment

            async with get_client() as client:
                names = {d.name for d in await client.read_deployments()}
                assert {"envscale-pipeline", "nightly-synthesis", "evaluate-and-promote"} <= names
                nightly = await client.read_deployment_by_name("nightly-synthesis/nightly-synthesis")
                assert nightly.schedules and nightly.schedules[0].schedule.cron == "0 2 * * *"
            # A light but real run: the pipeline restricted to ingesting the sample catalog.
            return await run_deployment(
                "pipeline/envscale-pipeline", parameters={"stages": ["ingest"]}, timeout=420, poll_interval=2
            )

        flow_run = asyncio.run(trigger())
        log = (tmp_path / "logs" / "prefect-worker.log").read_text() if (tmp_path / "logs").exists() else ""
        assert flow_run.state is not None and flow_run.state.is_completed(), (flow_run.state, log[-3000:])
    # The worker ran the flow in this home: the catalog landed in its warehouse.
    from envscale.warehouse import Warehouse

    assert Warehouse(home.warehouse).counts()["tools"] == 62
