"""Run owners: this process is alive; a finished pid, another host or a reused pid is not."""

from __future__ import annotations

import socket
import subprocess
import sys

from envscale.owners import current_owner, owner_alive


def test_this_process_is_its_own_live_owner():
    owner = current_owner()
    assert owner["host"] == socket.gethostname() and isinstance(owner["pid"], int)
    assert owner_alive(owner) is True


def test_a_process_that_ended_is_dead():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert owner_alive({"host": socket.gethostname(), "pid": child.pid, "start": None}) is False


def test_a_reused_pid_with_another_start_time_is_dead():
    owner = current_owner()
    if owner["start"] is None:  # no /proc: start times cannot be told apart
        return
    assert owner_alive({**owner, "start": owner["start"] + 1}) is False


def test_unknown_when_it_cannot_be_told():
    assert owner_alive(None) is None
    assert owner_alive({"host": "another-host-entirely", "pid": 1}) is None
    assert owner_alive({"host": socket.gethostname(), "pid": "12"}) is None
