"""Named kill points for crash tests: SIGKILL this process when a configured point is reached.

``ENVSCALE_RELIABILITY_KILL_AT=<point>:<k>`` kills the process the k-th time ``reached(point)`` is
called (1-based), with no cleanup, as a power cut or ``kill -9`` would. Unset (always, outside the
reliability tests), ``reached`` is one environment lookup. Points:

- ``trajectory-commit``: inside a trajectory's write transaction, its row inserted, before COMMIT
  (``environments/synthesis/store.TrajectoryWriter``): ``trajectory-commit:6`` leaves 5 committed
  and the 6th mid-write.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter

ENV = "ENVSCALE_RELIABILITY_KILL_AT"

_seen: Counter[str] = Counter()
_lock = threading.Lock()


def reached(point: str) -> None:
    """Count one pass through ``point``; SIGKILL the process on the configured pass."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    name, _, at = spec.partition(":")
    if name != point:
        return
    with _lock:
        _seen[point] += 1
        hit = _seen[point] == int(at or 1)
    if hit:
        os.kill(os.getpid(), signal.SIGKILL)


__all__ = ["ENV", "reached"]
