"""Prefect's temporary API server module spawns its children with the parent-death signal once bound."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from envscale.tasks.ephemeral_server import bind_ephemeral_prefect

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux-only")

_PDEATHSIG = (
    "import ctypes; s = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(s), 0, 0, 0); print(s.value)"
)


@pytest.mark.slow  # importing Prefect's server module takes seconds
def test_bound_server_module_gives_popen_children_the_death_signal(monkeypatch):
    from prefect.server.api import server

    monkeypatch.setattr(server, "subprocess", subprocess)  # restored after the test
    assert bind_ephemeral_prefect() is True
    assert bind_ephemeral_prefect() is True  # binding twice changes nothing
    child = server.subprocess.Popen([sys.executable, "-c", _PDEATHSIG], stdout=subprocess.PIPE, text=True)
    out, _ = child.communicate(timeout=30)
    assert int(out) == signal.SIGTERM
    assert server.subprocess.PIPE is subprocess.PIPE  # everything else is subprocess's own
    plain = subprocess.run([sys.executable, "-c", _PDEATHSIG], capture_output=True, text=True, timeout=30)
    assert int(plain.stdout) == 0  # other Popen calls are untouched
