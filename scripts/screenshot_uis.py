"""Screenshot the Prefect and MLflow UIs in headless Chromium, over an envscale home.

    python scripts/screenshot_uis.py --home .envscale --out bench/out/ui

Starts `envscale ui` on free ports, loads the Prefect flow-runs page and the
MLflow experiments and registered-models pages, writes PNGs, and stops the UIs.
Needs Debian's chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from envscale.services import free_port, wait_http

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1500,1000",
    "--virtual-time-budget=15000",
]


def screenshot(chromium: str, url: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}", url],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"{url:55s} -> {out}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", default=os.environ.get("ENVSCALE_HOME", ".envscale"))
    parser.add_argument("--out", default="bench/out/ui", type=Path)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("chromium not found: apt-get install chromium", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    prefect_port, mlflow_port = free_port(), free_port()
    envscale = str(Path(sys.executable).with_name("envscale"))
    ui = subprocess.Popen(
        [
            envscale,
            "--home",
            args.home,
            "ui",
            "--prefect-port",
            str(prefect_port),
            "--mlflow-port",
            str(mlflow_port),
        ],
        start_new_session=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{prefect_port}/api/health", 300, ui)
        wait_http(f"http://127.0.0.1:{mlflow_port}/health", 300, ui)
        time.sleep(2)
        screenshot(chromium, f"http://127.0.0.1:{prefect_port}/runs", args.out / "prefect-runs.png")
        screenshot(
            chromium, f"http://127.0.0.1:{prefect_port}/deployments", args.out / "prefect-deployments.png"
        )
        screenshot(
            chromium, f"http://127.0.0.1:{mlflow_port}/#/experiments", args.out / "mlflow-experiments.png"
        )
        screenshot(chromium, f"http://127.0.0.1:{mlflow_port}/#/models", args.out / "mlflow-models.png")
        train = _experiment_id(mlflow_port, "envscale-train")
        if train is not None:  # the training experiment itself: typed for model training, not GenAI
            screenshot(
                chromium,
                f"http://127.0.0.1:{mlflow_port}/#/experiments/{train}?workflowType=machine_learning",
                args.out / "mlflow-train-experiment.png",
            )
    finally:
        os.killpg(ui.pid, signal.SIGINT)
        ui.wait(60)
    return 0


def _experiment_id(port: int, name: str) -> str | None:
    """The id of an MLflow experiment by name (MLflow's REST API), or None when it does not exist."""
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    url = f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/get-by-name?" + urllib.parse.urlencode(
        {"experiment_name": name}
    )
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return json.load(reply)["experiment"]["experiment_id"]
    except (urllib.error.URLError, KeyError, ValueError):
        return None


if __name__ == "__main__":
    sys.exit(main())
