"""Child servers die with their parent, however the parent dies (SIGKILL included).

Two mechanisms, because each alone has a hole:

* ``die_with_parent`` (a ``preexec_fn``): Linux ``prctl(PR_SET_DEATHSIG)`` — the kernel
  signals the child when the *thread* that forked it ends. Fine for servers started
  from the main thread (the CLI's Prefect/MLflow stack).
  ``tasks/ephemeral_server.py`` gives it to Prefect's own temporary API server too.
* ``watch_parent`` (inside a Python child): a daemon thread polls ``getppid``; when the
  parent is gone (the child was re-parented) it SIGKILLs its own process group. Used by the
  embedded model server, which a Prefect task may start from a worker thread that ends
  before the process does (a death signal would then fire too early).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping

PARENT_PID_ENV = "ENVSCALE_PARENT_PID"
_PR_SET_DEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` that asks the kernel to send ``sig`` when the parent ends (None off Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()

    def preexec() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_DEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl
            os._exit(1)

    return preexec


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) plus this pid, for ``watch_parent`` in the child."""
    return {**(os.environ if env is None else env), PARENT_PID_ENV: str(os.getpid())}


def watch_parent(parent_pid: int | None = None, interval_s: float = 0.5) -> bool:
    """Start a daemon thread that kills this process group once ``parent_pid`` is no longer the parent.

    ``parent_pid`` defaults to ``$ENVSCALE_PARENT_PID``; without either nothing is watched
    (returns False).
    """
    if parent_pid is None:
        raw = os.environ.get(PARENT_PID_ENV, "")
        if not raw.isdigit():
            return False
        parent_pid = int(raw)
    if os.getppid() != parent_pid:  # already orphaned before the watch began
        _die()

    def watch() -> None:
        stop = threading.Event()
        while not stop.wait(interval_s):
            if os.getppid() != parent_pid:
                _die()

    threading.Thread(target=watch, name="envscale-lifeline", daemon=True).start()
    return True


def _die() -> None:
    # Own session/group leader: take whatever it spawned along; else only itself.
    if os.getpgrp() == os.getpid():
        with contextlib.suppress(OSError):
            os.killpg(os.getpid(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
