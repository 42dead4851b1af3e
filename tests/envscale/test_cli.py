"""The CLI as a user runs it: a real `envscale` process, exit codes, and the state folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ENVSCALE = str(Path(sys.executable).with_name("envscale"))


def run(args, home: Path, cwd: Path, **env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ENVSCALE_", "PREFECT_", "MLFLOW_"))}
    environ.update(env)
    return subprocess.run(
        [ENVSCALE, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=300
    )


def test_help_lists_one_command_per_flow(tmp_path):
    result = run(["--help"], tmp_path / "h", tmp_path)
    assert result.returncode == 0
    for command in (
        "ingest",
        "build",
        "synthesize",
        "validate",
        "train",
        "evaluate",
        "promote",
        "pipeline",
        "status",
        "config",
        "ui",
    ):
        assert command in result.stdout


def test_status_creates_the_home_in_cwd_and_nowhere_else(tmp_path):
    result = run(["status", "--json"], tmp_path / "unused", tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["home"] == str(tmp_path / ".envscale")
    assert payload["schema_version"] >= 1
    assert payload["counts"]["tools"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".envscale"]


def test_home_option_relocates_all_state(tmp_path):
    result = run(["--home", str(tmp_path / "elsewhere"), "status", "--json"], tmp_path / "h", tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["warehouse"] == str(tmp_path / "elsewhere" / "warehouse.duckdb")
    assert not (tmp_path / ".envscale").exists()


def test_bad_configuration_exits_2(tmp_path):
    result = run(["config", "show"], tmp_path / "h", tmp_path, ENVSCALE_BUILD__RESOLUTION="-1")
    assert result.returncode == 2
    assert "build.resolution" in result.stderr


def test_config_show_masks_nothing_it_should_show(tmp_path):
    result = run(["config", "show", "--json"], tmp_path / "h", tmp_path, ENVSCALE_TRAIN__LORA="true")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["train"]["lora"] is True


def test_unknown_option_is_usage_error(tmp_path):
    assert run(["status", "--bogus"], tmp_path / "h", tmp_path).returncode == 2
