"""scripts/check_test_mirror.py lists exactly the modules without a tests/<folder>/test_<name>.py, and never fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "check_test_mirror.py"


def _touch(root: Path, *paths: str) -> None:
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("")


def test_reports_modules_without_a_mirror_and_exits_zero(tmp_path):
    _touch(
        tmp_path,
        "environments/__init__.py",
        "environments/catalog/__init__.py",
        "environments/catalog/dedupe.py",
        "environments/catalog/naming.py",
        "tasks/skip.py",
        "tests/environments/catalog/test_dedupe.py",
        "tests/tasks/test_skip_feature.py",  # named after a feature, not the module
    )
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[:-1] == [
        "environments/catalog/naming.py  (no tests/environments/catalog/test_naming.py)",
        "tasks/skip.py  (no tests/tasks/test_skip.py)",
    ]
    assert lines[-1] == "2 of 3 modules have no mirrored test file"
