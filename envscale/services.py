"""Local Prefect and MLflow servers over this home's state, on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from envscale.home import resolve_home
from envscale.lifeline import die_with_parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout_s: float, proc: subprocess.Popen | None = None) -> None:
    """Poll ``url`` until it answers 2xx/3xx; fail early if ``proc`` died."""
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 400:
                    return
        except Exception as exc:  # not up yet
            last = str(exc)
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout_s:.0f}s ({last})")


def _bin(name: str) -> str:
    """The console script next to this interpreter (the venv's), else on PATH."""
    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else (shutil.which(name) or name)


def start_prefect_server(port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ}
    env.pop("PREFECT_API_URL", None)
    # The UI's browser code must call this server, not the default port.
    env["PREFECT_UI_API_URL"] = f"http://127.0.0.1:{port}/api"
    return subprocess.Popen(
        [_bin("prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
        preexec_fn=die_with_parent(),
    )


def start_mlflow_server(port: int, log: Path) -> subprocess.Popen:
    home = resolve_home()
    home.mlflow_db.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            _bin("mlflow"),
            "server",
            "--backend-store-uri",
            home.mlflow_uri,
            "--artifacts-destination",
            str(home.mlflow_artifacts),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=die_with_parent(),
    )


def stop(*procs: subprocess.Popen, timeout_s: float = 15) -> None:
    """SIGTERM every process group at once, wait up to ``timeout_s`` in all, SIGKILL what is left."""
    live = [p for p in procs if p.poll() is None]
    for proc in live:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for proc in live:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _stop_on_signals() -> None:
    """Ctrl-C (and SIGTERM) end the wait even when started with SIGINT ignored.

    A script's background job (`cmd &`) inherits SIGINT ignored, and Python then leaves it
    so: Ctrl-C did nothing and `kill` left the servers (in their own sessions) running.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def _until_one_exits(procs: list[subprocess.Popen], echo: Callable[[str], None], exited: str) -> int:
    """Block while every process runs (Ctrl-C interrupts the sleep); when one exits, echo ``exited``: 1."""
    while all(p.poll() is None for p in procs):
        time.sleep(1)
    echo(exited)
    return 1


def run_uis(prefect_port: int, mlflow_port: int, echo: Callable[[str], None] = print) -> int:
    """Start both UIs, print their URLs, block until Ctrl-C, stop both."""
    _stop_on_signals()
    home = resolve_home()
    logs = home.root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    prefect = start_prefect_server(prefect_port, logs / "prefect-server.log")
    mlflow = start_mlflow_server(mlflow_port, logs / "mlflow-server.log")
    try:
        wait_http(f"http://127.0.0.1:{prefect_port}/api/health", 180, prefect)
        wait_http(f"http://127.0.0.1:{mlflow_port}/health", 120, mlflow)
        echo(f"Prefect UI  http://127.0.0.1:{prefect_port}")
        # MLflow 3 opens on its GenAI view unless the URL asks for model training (a browser preference).
        echo(f"MLflow UI   http://127.0.0.1:{mlflow_port}/#/experiments?workflowType=machine_learning")
        echo(f"logs        {logs}\nCtrl-C stops both.")
        return _until_one_exits([prefect, mlflow], echo, "a server exited; see its log")
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, TimeoutError) as exc:
        echo(f"could not start the UIs: {exc} (logs in {logs})")
        return 1
    finally:
        stop(prefect, mlflow)  # together: one shutdown wait, not one per server


def repo_root() -> Path:
    """The checkout holding prefect.yaml (deployments run flows from it)."""
    root = Path(__file__).resolve().parents[1]
    if not (root / "prefect.yaml").exists():
        raise FileNotFoundError(f"prefect.yaml not found next to {root}; deployments need a source checkout")
    return root


class LocalPrefectStack:
    """A Prefect server, the `envscale-local` process pool, the deployments of prefect.yaml, and a worker."""

    pool = "envscale-local"

    def __init__(self, port: int | None = None, logs: Path | None = None) -> None:
        self.port = port or free_port()
        self.logs = logs or resolve_home().root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.procs: list[subprocess.Popen] = []

    def _env(self) -> dict[str, str]:
        return {**os.environ, "PREFECT_API_URL": self.api_url}

    def _prefect(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [_bin("prefect"), *args],
            cwd=repo_root(),
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"prefect {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )
        return result.stdout

    def start(self, *, with_worker: bool = True) -> LocalPrefectStack:
        server = start_prefect_server(self.port, self.logs / "prefect-server.log")
        self.procs.append(server)
        wait_http(f"{self.api_url}/health", 240, server)
        self._prefect("work-pool", "create", self.pool, "--type", "process", "--overwrite")
        self._prefect("--no-prompt", "deploy", "--all")
        if with_worker:
            worker = subprocess.Popen(
                [_bin("prefect"), "worker", "start", "--pool", self.pool, "--type", "process"],
                cwd=repo_root(),
                env=self._env(),
                stdout=(self.logs / "prefect-worker.log").open("ab"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )
            self.procs.append(worker)
        return self

    def stop(self) -> None:
        stop(*reversed(self.procs))
        self.procs.clear()

    def __enter__(self) -> LocalPrefectStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_deployments(port: int, echo: Callable[[str], None] = print) -> int:
    """`envscale deploy`: server + pool + deployments + worker until Ctrl-C."""
    _stop_on_signals()
    stack = LocalPrefectStack(port)
    try:
        stack.start()
        echo(
            f"Prefect UI   http://127.0.0.1:{port}  (deployments: pipeline/envscale-pipeline, nightly-synthesis/nightly-synthesis, evaluate-and-promote/evaluate-and-promote)"
        )
        echo(f"worker       pool '{stack.pool}', logs in {stack.logs}")
        echo(f"API          export PREFECT_API_URL={stack.api_url}\nCtrl-C stops server and worker.")
        return _until_one_exits(stack.procs, echo, "a process exited; see the logs")
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, TimeoutError) as exc:
        echo(f"could not start the deployment stack: {exc}")
        return 1
    finally:
        stack.stop()
