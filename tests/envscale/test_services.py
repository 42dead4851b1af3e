"""`envscale ui` starts both UIs over the home's state and stops them on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from envscale.services import free_port

ENVSCALE = str(Path(sys.executable).with_name("envscale"))


@pytest.mark.slow
def test_ui_serves_prefect_and_mlflow_then_stops_on_ctrl_c(tmp_path):
    prefect_port, mlflow_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "MLFLOW_", "ENVSCALE_"))}
    proc = subprocess.Popen(
        [
            ENVSCALE,
            "--home",
            str(tmp_path / "h"),
            "ui",
            "--prefect-port",
            str(prefect_port),
            "--mlflow-port",
            str(mlflow_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
        # As a script's background job (`envscale ui &`) starts: SIGINT ignored. Ctrl-C must still stop it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        seen = ""
        deadline = time.monotonic() + 300
        while "MLflow UI" not in seen and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            seen += line
        assert f"http://127.0.0.1:{prefect_port}" in seen and f"http://127.0.0.1:{mlflow_port}" in seen, seen
        for url in (f"http://127.0.0.1:{prefect_port}/api/health", f"http://127.0.0.1:{mlflow_port}/health"):
            with urllib.request.urlopen(url, timeout=10) as resp:
                assert resp.status == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        time.sleep(1)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{mlflow_port}/health", timeout=3)
        assert (tmp_path / "h" / "mlflow" / "mlflow.db").exists()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
