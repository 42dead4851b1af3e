"""`envscale serve` as a real process: registered environments by name, gold play over HTTP, bad names,
and a server that dies with its parent."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envscale.config import SynthesizeSettings
from envscale.environments.rl.mcp_server import RESET_TOOL, REWARD_TOOL
from envscale.environments.synthesis import store
from envscale.environments.synthesis.intents import template_task
from envscale.environments.synthesis.run import sample_environment
from envscale.environments.synthesis.sample_env import build_sample_env
from envscale.warehouse import open_warehouse

ENVSCALE = str(Path(sys.executable).with_name("envscale"))


@pytest.fixture
def registered(home):
    """The sample environment registered as accepted in the home's warehouse, with its tasks stored."""
    manifest = build_sample_env(home.environments)
    kept, _ = sample_environment(
        manifest, home.environments, SynthesizeSettings(blueprints_per_environment=3, max_calls=3)
    )
    wh = open_warehouse(home.warehouse)
    wh.insert(
        "environments",
        [
            {
                "env_id": manifest.env_id,
                "name": "shopfront",
                "origin": "generated",
                "path": str(manifest.db_path(home.environments)),
                "manifest": manifest.model_dump(mode="json"),
                "status": "accepted",
                "n_tools": len(manifest.tools),
                "lineage_hash": "test",
            }
        ],
    )
    tasks = [template_task(bp) for bp in kept]
    store.save_blueprints(wh, kept, None)
    store.save_tasks(wh, tasks, None)
    return home, manifest, kept, tasks


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("envscale serve did not start listening")


@pytest.mark.slow
def test_serve_plays_gold_by_name_and_dies_with_its_parent(registered):
    from mcp import Client

    home, manifest, kept, tasks = registered
    port = _free_port()
    env = os.environ | {"ENVSCALE_HOME": str(home.root)}
    # A parent shell that starts the server and is then killed: the server must not survive it.
    parent = subprocess.Popen(
        ["bash", "-c", f'"{ENVSCALE}" serve --env shopfront --port {port} & echo $! ; wait'],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    server_pid = int(parent.stdout.readline())
    try:
        _wait_listening(port, parent)
        task, bp = tasks[0], kept[0]

        async def play():
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                await client.call_tool(RESET_TOOL, {"task_id": task.task_id})
                for call in bp.calls:
                    await client.call_tool(call.name, call.arguments)
                return (await client.call_tool(REWARD_TOOL, {})).structured_content

        verdict = asyncio.run(play())
        assert verdict["reward"] == 1.0 and verdict["state_hash"] == bp.gold_state_hash
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            break
        if _is_zombie(server_pid):
            break
        time.sleep(0.1)
    else:
        os.kill(server_pid, signal.SIGKILL)
        raise AssertionError("the server outlived its parent")


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_serve_refuses_an_unknown_environment_in_one_line(registered):
    home, *_ = registered
    out = subprocess.run(
        [ENVSCALE, "serve", "--env", "no-such-env"],
        env=os.environ | {"ENVSCALE_HOME": str(home.root)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2, out
    assert "no accepted environment 'no-such-env'" in out.stderr and "shopfront" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
