"""build and synthesize on a local Dask cluster (two worker processes) give the default runner's content hashes."""

from __future__ import annotations

import pytest

from envscale.warehouse import open_warehouse
from tests.support import standin


def _run_stages(home) -> tuple[list[str], list[tuple[str, str]]]:
    from envscale.flows.registry import stage

    stage("ingest").load()()  # the sample catalog
    built = stage("build").load()(domains="categories", max_environments=3)
    assert built["environments"] >= 2
    synthesized = stage("synthesize").load()(blueprints_per_environment=2)
    assert synthesized["trajectories"] >= 4
    with open_warehouse(home.warehouse).connect() as con:
        envs = [
            r[0]
            for r in con.execute(
                "SELECT env_id FROM environments WHERE status = 'accepted' ORDER BY 1"
            ).fetchall()
        ]
        trajectories = [
            (r[0], r[1])
            for r in con.execute(
                "SELECT trajectory_id, final_state_hash FROM trajectories ORDER BY 1"
            ).fetchall()
        ]
    return envs, trajectories


@pytest.mark.slow
def test_dask_runner_gives_the_same_hashes_as_threads(prefect_harness, home, tmp_path, monkeypatch):
    from envscale.home import activate

    with standin.StandInServer(standin.tool_then_answer) as server:
        monkeypatch.setenv("ENVSCALE_LLM__AGENT__BASE_URL", server.base_url)
        monkeypatch.setenv("ENVSCALE_SCALE__RUNNER", "threads")
        threads = _run_stages(home)
        served_threads = server.served

        before = _task_runs("play-episodes")  # the Prefect harness is shared by the whole session
        monkeypatch.setenv("ENVSCALE_SCALE__RUNNER", "dask")
        monkeypatch.setenv("ENVSCALE_SCALE__WORKERS", "2")
        dask_home = activate(tmp_path / "dask-home")  # the fixture restores the session home afterwards
        dask = _run_stages(dask_home)
    assert threads[0] and threads[1]
    assert dask == threads  # env_ids, trajectory ids and their final state hashes
    assert server.served == 2 * served_threads
    # Only the Dask run maps episodes into `play-episodes` tasks (threads stream them in-process).
    assert _task_runs("play-episodes") - before == 2 and _task_runs("build-environments") >= 2


def _task_runs(prefix: str) -> int:
    import asyncio

    from prefect.client.orchestration import get_client

    async def read():
        async with get_client() as client:
            return await client.read_task_runs()

    return sum(1 for t in asyncio.run(read()) if t.name.startswith(prefix))
