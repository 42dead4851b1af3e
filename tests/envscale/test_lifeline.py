"""Lifelines: a child started with die_with_parent, or watching its parent, dies when the parent is SIGKILLed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from envscale.lifeline import PARENT_PID_ENV, child_env, die_with_parent, watch_parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl and /proc are Linux-only")


def _gone(pid: int, within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # reaped by init, or a zombie that init has not collected yet
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[-1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def _parent_running(child_code: str) -> tuple[subprocess.Popen, int]:
    """A parent process that starts a sleeping child (with ``child_code`` choosing the lifeline) and prints its pid."""
    parent_code = textwrap.dedent(
        f"""
        import subprocess, sys, time
        from envscale.lifeline import child_env, die_with_parent
        {child_code}
        print(child.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    return parent, child_pid


def test_child_env_names_this_process():
    env = child_env({"A": "1"})
    assert env == {"A": "1", PARENT_PID_ENV: str(os.getpid())}
    assert die_with_parent() is not None


def test_watch_parent_needs_a_parent_pid(monkeypatch):
    monkeypatch.delenv(PARENT_PID_ENV, raising=False)
    assert watch_parent() is False
    monkeypatch.setenv(PARENT_PID_ENV, "not-a-pid")
    assert watch_parent() is False


def test_a_death_signal_child_dies_with_its_sigkilled_parent():
    parent, child_pid = _parent_running(
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
        " preexec_fn=die_with_parent())"
    )
    _kill_parent_and_expect_child_gone(parent, child_pid)


def _kill_parent_and_expect_child_gone(parent, child_pid: int, settle_s: float = 0.0) -> None:
    try:
        time.sleep(settle_s)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert _gone(child_pid)
    finally:
        with contextlib.suppress(ProcessLookupError):  # never leave a sleeper behind
            os.kill(child_pid, signal.SIGKILL)


def test_a_watching_child_kills_itself_when_orphaned():
    watcher = (
        "import time; from envscale.lifeline import watch_parent;"
        " assert watch_parent(interval_s=0.05); time.sleep(60)"
    )
    parent, child_pid = _parent_running(
        f"child = subprocess.Popen([sys.executable, '-c', {watcher!r}], env=child_env())"
    )
    # settle: let the child start its watch while the parent lives
    _kill_parent_and_expect_child_gone(parent, child_pid, settle_s=0.5)
