"""`envscale build --tau2 PATH` on an empty catalog: an imports-only build of τ² domains (issue 17 item 1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.support.tau2_fixture import write_domain, write_domains

pytestmark = pytest.mark.slow  # real CLI processes with a Prefect ephemeral server

ENVSCALE = str(Path(sys.executable).with_name("envscale"))


def _build(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ENVSCALE_", "PREFECT_", "MLFLOW_"))}
    environ.update(ENVSCALE_HOME=str(tmp_path / "home"))
    return subprocess.run(
        [ENVSCALE, "build", *args], cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=300
    )


def test_a_domains_folder_imports_its_domains_and_skips_unknown_ones(tmp_path: Path) -> None:
    domains = write_domains(tmp_path / "domains")
    (domains / "mock").mkdir()  # a τ² domain envscale has no module for
    (domains / "mock" / "db.json").write_text("{}")
    (domains / "mock" / "tasks.json").write_text("[]")
    result = _build(tmp_path, "--tau2", str(domains))
    assert result.returncode == 0, result.stderr
    assert "skipped: tau2 mock" in result.stdout + result.stderr
    con = duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True)
    try:
        names = sorted(
            r[0] for r in con.execute("SELECT name FROM environments WHERE status = 'accepted'").fetchall()
        )
    finally:
        con.close()
    assert names == ["tau2_airline", "tau2_retail"]


def test_a_missing_folder_or_an_unknown_single_domain_fails_the_build(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = _build(tmp_path, "--tau2", str(missing))
    assert result.returncode != 0 and str(missing) in result.stderr
    folder = write_domain(tmp_path / "d", "retail").rename(tmp_path / "d" / "banking")
    result = _build(tmp_path, "--tau2", str(folder))
    assert (
        result.returncode != 0 and "tau2_banking" in result.stderr and "unknown tau2 domain" in result.stderr
    )
