"""#19.2: a child server dies with its parent, however the parent dies (here: SIGKILL).

A real parent process starts a real HTTP server the way envscale does (own session, as
`serve_model` and `services.py` do), prints the server's pid, and is SIGKILLed; the server
must be gone within a few seconds. The slow case does it with the real embedded
`transformers serve` on the tiny test model.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose (re-parented to init, reaped soon)
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _kill_parent_and_wait(parent_code: str, tmp_path: Path, timeout_s: float) -> tuple[int, float]:
    """Run ``parent_code`` (prints the server pid on stdout), SIGKILL it; seconds until the server died."""
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(parent_code)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        line = ""
        while not line.strip().isdigit() and parent.poll() is None:
            line = parent.stdout.readline()  # the last line it prints is the server's pid
        assert line.strip().isdigit(), f"parent did not report a server pid: {line!r}"
    except BaseException:
        parent.kill()
        raise
    server = int(line)
    assert _alive(server)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    start = time.monotonic()
    while _alive(server) and time.monotonic() - start < timeout_s:
        time.sleep(0.1)
    gone = not _alive(server)
    if not gone:
        os.killpg(server, signal.SIGKILL)  # do not leave it behind ourselves
    assert gone, f"server {server} outlived its SIGKILLed parent by {timeout_s}s"
    return server, time.monotonic() - start


_HTTP_SERVER = "import http.server as h; h.ThreadingHTTPServer(('127.0.0.1', 0), h.SimpleHTTPRequestHandler).serve_forever()"


def test_a_watched_server_dies_with_its_sigkilled_parent(tmp_path):
    """The embedded model server's mechanism: the child watches the parent pid (envscale.lifeline)."""
    _kill_parent_and_wait(
        f"""
        import subprocess, sys, time
        from envscale.lifeline import child_env
        code = "from envscale.lifeline import watch_parent; assert watch_parent(); " + {_HTTP_SERVER!r}
        proc = subprocess.Popen([sys.executable, "-c", code], env=child_env(), start_new_session=True)
        time.sleep(0.5)
        print(proc.pid, flush=True)
        time.sleep(60)
        """,
        tmp_path,
        timeout_s=5,
    )


def test_a_service_dies_with_its_sigkilled_parent(tmp_path):
    """The Prefect/MLflow stack's mechanism: a parent-death signal (prctl) set before exec."""
    _kill_parent_and_wait(
        f"""
        import subprocess, sys, time
        from envscale.lifeline import die_with_parent
        proc = subprocess.Popen([sys.executable, "-c", {_HTTP_SERVER!r}],
                                start_new_session=True, preexec_fn=die_with_parent())
        print(proc.pid, flush=True)
        time.sleep(60)
        """,
        tmp_path,
        timeout_s=5,
    )


def test_without_a_lifeline_the_server_would_survive(tmp_path):
    """The check can fail: the same server started without either mechanism outlives the parent."""
    with pytest.raises(AssertionError, match="outlived"):
        _kill_parent_and_wait(
            f"""
            import subprocess, sys, time
            proc = subprocess.Popen([sys.executable, "-c", {_HTTP_SERVER!r}], start_new_session=True)
            print(proc.pid, flush=True)
            time.sleep(60)
            """,
            tmp_path,
            timeout_s=1.5,
        )


@pytest.mark.slow
def test_the_embedded_model_server_dies_with_its_sigkilled_parent(tmp_path):
    """The real `transformers serve` (tiny test model), started by `serve_model` in a parent that is SIGKILLed."""
    _kill_parent_and_wait(
        f"""
        import time
        from pathlib import Path
        from envscale.models.serving import serve_model
        from envscale.models.tiny import build_tiny_model
        model = build_tiny_model(Path({str(tmp_path / "tiny")!r}))
        with serve_model(model, log_dir=Path({str(tmp_path)!r}), continuous_batching=False, device="cpu") as ep:
            import os
            print(open(f"/proc/{{os.getpid()}}/task/{{os.getpid()}}/children").read().split()[0], flush=True)
            time.sleep(120)
        """,
        tmp_path,
        timeout_s=5,
    )


@pytest.mark.slow
def test_prefects_temporary_server_dies_with_a_sigkilled_cli_run(tmp_path):
    """`envscale pipeline` without PREFECT_API_URL: Prefect starts its own API server; SIGKILL the CLI."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ENVSCALE_", "MLFLOW_"))}
    env["ENVSCALE_HOME"] = str(home)
    cli = subprocess.Popen(
        [str(Path(sys.executable).with_name("envscale")), "pipeline", "--stages", "ingest"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        server = None
        deadline = time.monotonic() + 240
        while server is None and time.monotonic() < deadline and cli.poll() is None:
            for child in Path(f"/proc/{cli.pid}/task/{cli.pid}/children").read_text().split():
                if "uvicorn" in Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace"):
                    server = int(child)
            time.sleep(0.2)
        assert server is not None, "the CLI started no temporary Prefect server"
        cli.send_signal(signal.SIGKILL)
        cli.wait()
        start = time.monotonic()
        while _alive(server) and time.monotonic() - start < 10:
            time.sleep(0.1)
        gone = not _alive(server)
        if not gone:
            os.kill(server, signal.SIGKILL)  # do not leave it behind ourselves
        assert gone, f"Prefect's temporary server {server} outlived its SIGKILLed CLI"
    finally:
        if cli.poll() is None:
            cli.kill()
