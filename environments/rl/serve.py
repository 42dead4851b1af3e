"""`envscale serve`: run environments as MCP servers (streamable HTTP or stdio) until stopped.

The server never outlives its parent: on Linux the kernel sends it SIGTERM when
the parent dies (``PR_SET_PDEATHSIG``), and a watchdog thread also stops it once
it has been re-parented (any OS), closing every open episode on the way out.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from envscale.environments.rl.mcp_server import DEFAULT_IDLE_TIMEOUT_S, EnvironmentServer, http_app
from envscale.environments.rl.served import ServedEnvironment


def die_with_parent(on_orphaned: Callable[[], None], *, poll_s: float = 0.5) -> None:
    """Stop when the parent process goes away (parent-death signal where the OS has one, and a poll)."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # it died before the signal was armed
            on_orphaned()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        on_orphaned()

    threading.Thread(target=watch, name="envscale-parent-watch", daemon=True).start()


def serve(
    served: list[ServedEnvironment],
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    stdio: bool = False,
    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
    echo: Callable[[str], Any] = print,
) -> int:
    """Serve until stopped (Ctrl-C, SIGTERM, or the parent's death); returns the exit code."""
    servers = [EnvironmentServer(s, idle_timeout_s=idle_timeout_s) for s in served]
    if stdio:
        if len(servers) != 1:
            raise ValueError("--stdio serves exactly one environment")
        import anyio

        die_with_parent(lambda: os.kill(os.getpid(), signal.SIGTERM))
        anyio.run(servers[0].run_stdio)
        return 0
    import uvicorn

    app = http_app(servers, host=host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)

    def stop() -> None:
        server.should_exit = True

    die_with_parent(stop)
    for s, path in zip(served, app.state.paths, strict=True):
        echo(f"serving {s.name} ({s.env_id}, {len(s.tasks)} tasks) at http://{host}:{port}{path}")
    server.run()
    return 0


__all__ = ["die_with_parent", "serve"]
