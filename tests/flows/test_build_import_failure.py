"""A build that cannot import a requested domain fails: non-zero exit, the whole reason on one line,
kept in the warehouse (runs.error) and in the run's error.txt (issue 17, item 6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow  # one real CLI process with a Prefect ephemeral server

ENVSCALE = str(Path(sys.executable).with_name("envscale"))


def test_missing_tau_bench_data_fails_the_build_with_its_full_reason(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-shared-data"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ENVSCALE_", "PREFECT_", "MLFLOW_"))}
    environ.update(ENVSCALE_HOME=str(tmp_path / "home"), ENVSCALE_SHARED_DATA=str(missing))
    # The catalog is empty: with an import requested this is an imports-only build, not a refusal.
    result = subprocess.run(
        [ENVSCALE, "build", "--tau-bench"],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0, result.stdout
    failed = [line for line in result.stderr.splitlines() if line.startswith("build failed:")]
    assert len(failed) == 1, result.stderr
    assert "could not import" in failed[0] and "catalog is empty" not in failed[0]
    for domain in ("tau_bench_airline", "tau_bench_retail"):
        assert domain in failed[0]
    assert str(missing) in failed[0]  # the path is whole: not cut at 40 characters
    con = duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True)
    try:
        status, error = con.execute("SELECT status, error FROM runs WHERE flow = 'build'").fetchone()
    finally:
        con.close()
    assert status == "failed" and "tau_bench_retail" in error and str(missing) in error
    error_files = list((tmp_path / "home").rglob("error.txt"))
    assert len(error_files) == 1 and str(missing) in error_files[0].read_text()
