"""Prefect's temporary API server dies with the CLI process, however the CLI dies.

A CLI run without ``PREFECT_API_URL`` makes Prefect start a temporary API server (``uvicorn``) on
its first flow; Prefect gives that child no parent-death signal, so a SIGKILLed ``envscale
pipeline`` left it running (three were found after killed runs). Its module spawns through
``subprocess.Popen``: that name is given the kernel's death signal (``envscale.lifeline``).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from envscale.lifeline import die_with_parent


class _DyingChildren:
    """``subprocess`` as Prefect's server module sees it: ``Popen`` children get the parent-death signal."""

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    @staticmethod
    def Popen(*args: Any, **kwargs: Any) -> subprocess.Popen:  # noqa: N802 (subprocess's own name)
        kwargs.setdefault("preexec_fn", die_with_parent())
        return subprocess.Popen(*args, **kwargs)


def bind_ephemeral_prefect() -> bool:
    """Give Prefect's temporary server the death signal; call from the main thread before the first flow
    (the signal follows the thread that forks). False off Linux, or when Prefect's server module no
    longer spawns through ``subprocess`` (then nothing is patched)."""
    if not sys.platform.startswith("linux"):
        return False
    from prefect.server.api import server

    if getattr(server, "subprocess", None) is subprocess:
        server.subprocess = _DyingChildren()  # type: ignore[assignment]
    return isinstance(getattr(server, "subprocess", None), _DyingChildren)
