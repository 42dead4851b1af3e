"""Kill points: the configured pass through a point SIGKILLs the process; other points and passes do not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from envscale import killpoint

_SCRIPT = """
import sys
from envscale.killpoint import reached
for i in range(1, 6):
    reached("other")
    reached("trajectory-commit")
    print(i, flush=True)
"""


def _run(spec: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != killpoint.ENV}
    if spec is not None:
        env[killpoint.ENV] = spec
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=30
    )


def test_unset_never_kills():
    done = _run(None)
    assert done.returncode == 0 and done.stdout.split() == ["1", "2", "3", "4", "5"]


def test_the_kth_pass_is_killed_with_no_cleanup():
    done = _run("trajectory-commit:3")
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.split() == ["1", "2"]  # passes 1 and 2 went on; the 3rd never printed


def test_a_point_without_a_count_dies_on_its_first_pass_and_other_points_are_ignored():
    assert _run("trajectory-commit").returncode == -signal.SIGKILL
    unrelated = _run("no-such-point:1")
    assert unrelated.returncode == 0 and len(unrelated.stdout.split()) == 5
