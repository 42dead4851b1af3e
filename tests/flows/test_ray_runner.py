"""build and synthesize on a local Ray cluster (2 CPUs) give the thread runner's content hashes."""

from __future__ import annotations

import pytest

from tests.flows.test_scale_out import _run_stages, _task_runs
from tests.support import standin


@pytest.mark.slow
def test_ray_runner_gives_the_same_hashes_as_threads(prefect_harness, home, tmp_path, monkeypatch):
    ray = pytest.importorskip("ray")
    from envscale.config import ScaleSettings
    from envscale.home import activate
    from envscale.tasks.runners import task_runner

    with standin.StandInServer(standin.tool_then_answer) as server:
        monkeypatch.setenv("ENVSCALE_LLM__AGENT__BASE_URL", server.base_url)
        monkeypatch.setenv("ENVSCALE_SCALE__RUNNER", "threads")
        threads = _run_stages(home)
        served_threads = server.served
        before = _task_runs("play-episodes")

        monkeypatch.setenv("ENVSCALE_SCALE__RUNNER", "ray")
        monkeypatch.setenv("ENVSCALE_SCALE__WORKERS", "2")
        ray_home = activate(tmp_path / "ray-home")  # the fixture restores the session home afterwards
        runner = task_runner(ScaleSettings(runner="ray", workers=2))
        assert type(runner).__name__ == "RayTaskRunner" and runner.init_kwargs["num_cpus"] == 2
        # one small cluster for the three flows (each runner reuses it), shut down here
        ray.init(**runner.init_kwargs)
        try:
            assert ray.cluster_resources()["CPU"] == 2
            on_ray = _run_stages(ray_home)
        finally:
            ray.shutdown()
    assert threads[0] and threads[1]
    assert on_ray == threads  # env_ids, trajectory ids and their final state hashes
    assert server.served == 2 * served_threads
    # The Ray run maps episodes into `play-episodes` tasks (threads stream them in-process).
    assert _task_runs("play-episodes") - before == 2
    assert not ray.is_initialized()
