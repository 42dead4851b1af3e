"""Failed episodes on rerun (#19.6): a broken endpoint fails the run; --retry-failed replaces its episodes.

Before, an endpoint answering only unusable replies made every episode end ``repeated_failure``;
the run exited 0, and a rerun against a good endpoint skipped them all as done (0 requests).
Now the run summary says every episode failed for endpoint reasons and exits 1 (the episodes stay
stored, as data of what happened), and ``envscale synthesize --retry-failed`` plays exactly those
again against the working endpoint, replacing each row: same ids, no duplicate.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from envscale.environments.synthesis.sample_env import register_sample_env
from envscale.warehouse import open_warehouse
from tests.support import standin as s
from tests.support.reliability.crash import cli_env

BLUEPRINTS = "3"


def _synthesize(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "envscale.cli", "synthesize", "--blueprints", BLUEPRINTS, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _rows(wh) -> list[tuple[str, str, str]]:
    with wh.connect() as con:
        return con.execute(
            "SELECT trajectory_id, termination, run_id FROM trajectories ORDER BY trajectory_id"
        ).fetchall()


def _last_summary(wh) -> dict:
    import json

    with wh.connect() as con:
        (summary,) = con.execute(
            "SELECT summary FROM runs WHERE flow = 'synthesize' ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    return json.loads(summary or "{}")


@pytest.mark.slow
def test_a_broken_endpoint_fails_the_run_and_retry_failed_replaces_its_episodes(home, prefect_api_url):
    wh = open_warehouse(home.warehouse)
    register_sample_env(wh, home.environments)

    # 1. Every reply is truncated JSON: unusable, not retried; each episode ends repeated_failure.
    with s.StandInServer(lambda request: s.truncated()) as broken:
        env = cli_env(
            home.root, PREFECT_API_URL=prefect_api_url, ENVSCALE_LLM__AGENT__BASE_URL=broken.base_url
        )
        failed = _synthesize(env)
        assert broken.served >= 3
    assert failed.returncode == 1, failed.stderr[-3000:]
    verdict = [line for line in failed.stderr.splitlines() if line.startswith("synthesize failed:")]
    assert len(verdict) == 1, failed.stderr[-3000:]
    assert "every episode played (3) failed for endpoint reasons" in verdict[0]
    assert "--retry-failed" in verdict[0]
    assert "Traceback" not in failed.stderr and "details: " in failed.stderr  # one line + error.txt
    first = _rows(wh)
    assert [t for _, t, _ in first] == ["repeated_failure"] * 3  # kept, as what happened
    with wh.connect() as con:
        assert con.execute(
            "SELECT status FROM runs WHERE flow = 'synthesize' ORDER BY started_at DESC LIMIT 1"
        ).fetchone() == ("failed",)
    assert _last_summary(wh)["endpoint_failed"] == 3

    with s.StandInServer(s.tool_then_answer) as good:
        env = cli_env(home.root, PREFECT_API_URL=prefect_api_url, ENVSCALE_LLM__AGENT__BASE_URL=good.base_url)
        # 2. A plain rerun keeps finished work, failed or not: nothing is played.
        plain = _synthesize(env)
        assert plain.returncode == 0, plain.stderr[-3000:]
        assert good.served == 0
        # 3. --retry-failed plays the failed ones again and replaces them.
        retried = _synthesize(env, "--retry-failed")
        assert retried.returncode == 0, retried.stderr[-3000:]
        assert good.served >= 3
    assert _last_summary(wh)["trajectories_retried"] == 3
    after = _rows(wh)
    assert [i for i, _, _ in after] == [i for i, _, _ in first]  # the same episodes, no duplicate
    assert [t for _, t, _ in after] == ["user_stop"] * 3
    assert {r for _, _, r in after}.isdisjoint({r for _, _, r in first})  # rewritten by the retry run

    # 4. Nothing failed is left: another --retry-failed plays nothing.
    with s.StandInServer(s.tool_then_answer) as idle:
        env = cli_env(home.root, PREFECT_API_URL=prefect_api_url, ENVSCALE_LLM__AGENT__BASE_URL=idle.base_url)
        assert _synthesize(env, "--retry-failed").returncode == 0
        assert idle.served == 0
    assert _rows(wh) == after
