"""The layer contract of docs/ARCHITECTURE.md holds, and the checker catches a planted reverse import."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "check_layers.py"


def _checker():
    spec = importlib.util.spec_from_file_location("check_layers", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _copy_layers(dest: Path) -> None:
    for top in ("envscale", "environments", "data_contracts", "models", "tasks", "flows"):
        shutil.copytree(REPO / top, dest / top, ignore=shutil.ignore_patterns("__pycache__", "*.duckdb"))


def test_the_repository_imports_one_way() -> None:
    assert _checker().violations(REPO) == []


def test_a_lazy_reverse_import_in_the_kernel_fails_the_check(tmp_path: Path) -> None:
    _copy_layers(tmp_path)
    warehouse = tmp_path / "envscale" / "warehouse.py"
    warehouse.write_text(
        warehouse.read_text() + "\n\ndef _planted():\n    from envscale.flows import registry\n"
    )
    run = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 1
    assert "envscale/warehouse.py" in run.stdout and "kernel imports envscale.flows" in run.stdout


def test_prefect_in_the_domain_core_fails_the_check(tmp_path: Path) -> None:
    _copy_layers(tmp_path)
    (tmp_path / "environments" / "planted.py").write_text("from prefect import flow\n")
    (tmp_path / "models" / "planted.py").write_text("from ..tasks import build\n")
    found = _checker().violations(tmp_path)
    assert any("environments/planted.py:1: environments imports prefect" in v for v in found)
    assert any("models/planted.py:1: models imports envscale.tasks" in v for v in found)


def test_duckdb_in_tasks_or_flows_fails_the_check(tmp_path: Path) -> None:
    _copy_layers(tmp_path)
    (tmp_path / "tasks" / "planted.py").write_text("def f():\n    import duckdb\n")
    (tmp_path / "flows" / "planted.py").write_text("from duckdb import connect\n")
    (tmp_path / "models" / "planted.py").write_text("import duckdb\n")  # below tasks: allowed
    found = _checker().violations(tmp_path)
    assert any("tasks/planted.py:2: tasks imports duckdb" in v for v in found)
    assert any("flows/planted.py:1: flows imports duckdb" in v for v in found)
    assert not any("models/planted.py" in v for v in found)
