"""Fast, quiet failures (#19.4, #20): a stage that cannot start says why in one line, in seconds.

Each case runs the real `envscale` CLI in a subprocess on an empty (or nearly empty) home. The
preflight checks (``envscale.tasks.preflight``) find the missing input before Prefect, MLflow or an
endpoint is started: one line with the reason, one ``details:`` line naming the error.txt, no
traceback, the CLI's exit code (2 usage, 1 failure). Before, the same failures took 14–77 s and
printed Prefect tracebacks.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ENVSCALE = str(Path(sys.executable).with_name("envscale"))
FAST_S = 10.0  # measured ~0.7 s each on an idle 2-core box; generous for a busy one


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # nothing listens there once the socket is closed


def _envscale(home: Path, *args: str, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ENVSCALE_", "PREFECT_", "MLFLOW_"))}
    environ.update(env)
    started = time.monotonic()
    result = subprocess.run(
        [ENVSCALE, "--home", str(home), *args],
        cwd=home.parent,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, time.monotonic() - started


def _assert_one_quiet_line(result, elapsed: float, rc: int, *needles: str) -> None:
    out = result.stdout + result.stderr
    assert result.returncode == rc, out
    assert elapsed < FAST_S, f"took {elapsed:.1f} s: {out}"
    assert "Traceback" not in out, out
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    for needle in needles:
        assert needle in lines[0], out
    if rc == 1:  # a failure: the reason, then where its error.txt is
        assert len(lines) == 2 and lines[1].startswith("details: "), out
        error_file = Path(lines[1].removeprefix("details: "))
        assert error_file.name == "error.txt" and needles[-1] in error_file.read_text()
    else:  # a usage error: one line
        assert len(lines) == 1, out


CASES = [
    (("build",), 1, ("build failed", "catalog is empty")),
    (("synthesize",), 1, ("synthesize failed", "no accepted environments")),
    (("synthesize", "--env", "nosuchenv"), 2, ("unknown environment(s): nosuchenv",)),
    (("validate",), 1, ("validate failed", "no trajectories")),
    (("train",), 1, ("train failed", "no accepted trajectories")),
    (("evaluate",), 1, ("evaluate failed", "has no alias 'challenger'")),
    (("evaluate", "--model", "models:/envscale-agent/3"), 1, ("evaluate failed", "no version 3")),
    (("promote",), 1, ("promote failed", "has no alias 'challenger'")),
]


@pytest.mark.parametrize(("args", "rc", "needles"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_a_stage_on_an_empty_home_fails_at_once_in_one_line(tmp_path, args, rc, needles):
    home = tmp_path / "h"
    result, elapsed = _envscale(home, *args)
    _assert_one_quiet_line(result, elapsed, rc, *needles)
    assert not (home / "prefect").exists() or not any((home / "prefect").rglob("*.db")), "Prefect was started"
    assert not (home / "mlflow" / "mlflow.db").exists(), "MLflow was started"


def test_nothing_to_ingest_fails_at_once(tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "notes.txt").write_text("not a schema file")
    result, elapsed = _envscale(tmp_path / "h", "ingest", str(tmp_path / "schemas"))
    _assert_one_quiet_line(result, elapsed, 1, "ingest failed", "nothing to ingest")


def test_a_closed_endpoint_port_is_found_before_anything_starts(tmp_path):
    """synthesize with a configured agent endpoint where nothing listens (was: 118 lines, 2 tracebacks)."""
    from envscale.environments.synthesis.sample_env import register_sample_env
    from envscale.home import resolve_home
    from envscale.warehouse import open_warehouse

    home = resolve_home(tmp_path / "h").ensure()
    register_sample_env(open_warehouse(home.warehouse), home.environments)
    url = _closed_port_url()
    result, elapsed = _envscale(home.root, "synthesize", ENVSCALE_LLM__AGENT__BASE_URL=url)
    _assert_one_quiet_line(result, elapsed, 1, "synthesize failed", f"unreachable: {url}")
    assert elapsed < 2.0 + 3.0  # the connect itself is refused at once; the rest is start-up
    with open_warehouse(home.warehouse).connect() as con:  # no run was started, nothing written
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0

    result, elapsed = _envscale(home.root, "evaluate", "--base-url", url)
    _assert_one_quiet_line(result, elapsed, 1, "evaluate failed", f"unreachable: {url}")


def test_unreachable_tells_a_listening_port_from_a_closed_one():
    from envscale.tasks.preflight import unreachable

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert unreachable(f"http://127.0.0.1:{server.getsockname()[1]}/v1") is None
    started = time.monotonic()
    assert "cannot connect" in unreachable(_closed_port_url())
    assert time.monotonic() - started < 2.0
    assert "not an http(s) URL" in unreachable("ftp://example/v1")
