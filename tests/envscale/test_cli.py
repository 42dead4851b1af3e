"""The CLI as a user runs it: a real `envscale` process, exit codes, and the state folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_version_prints_the_package_version_and_creates_nothing(tmp_path):
    from envscale import __version__

    result = run(["--version"], tmp_path / "h", tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"envscale {__version__}"
    assert list(tmp_path.iterdir()) == []  # no home, no config: an eager option exits before any work


def test_status_creates_the_home_in_cwd_and_nowhere_else(tmp_path):
    result = run(["status", "--json"], tmp_path / "unused", tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["home"] == str(tmp_path / ".envscale")
    assert payload["schema_version"] >= 1
    assert payload["counts"]["tools"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".envscale"]


def test_status_tells_live_environments_from_superseded_ones(tmp_path):
    from envscale.warehouse import open_warehouse

    home = tmp_path / "h"
    wh = open_warehouse(home / "warehouse.duckdb")
    row = {"origin": "generated", "manifest": {}, "n_tools": 1, "lineage_hash": "x"}
    wh.insert(
        "environments",
        [
            {"env_id": f"e{i}", "name": f"e{i}", "path": f"/x/e{i}.duckdb", "status": status, **row}
            for i, status in enumerate(["accepted", "accepted", "superseded"])
        ],
    )
    result = run(["--home", str(home), "status", "--json"], tmp_path / "unused", tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["counts"]["environments"] == 3
    assert payload["environments_by_status"] == {"accepted": 2, "superseded": 1}
    table = run(["--home", str(home), "status"], tmp_path / "unused", tmp_path, COLUMNS="200")
    assert "3 (accepted 2, superseded 1)" in table.stdout


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


def test_bad_flag_values_exit_2_before_any_work(tmp_path):
    for args in (
        ["build", "--domains", "foo"],
        ["build", "--max-environments", "0"],
        ["synthesize", "--blueprints", "0"],
        ["synthesize", "--in-flight", "-1"],
        ["synthesize", "--mode", "sideways"],
        ["ingest", "--format", "nope", str(tmp_path)],
    ):
        result = run(args, tmp_path / "h", tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and args[1] in result.stderr


def test_help_lists_the_allowed_values(tmp_path):
    expected = {
        "ingest": ("openai", "openapi", "mcp", "bfcl", "toolbench", "taubench"),
        "build": ("graph", "categories"),
        "synthesize": ("forward", "reverse", "template", "llm"),
    }
    for command, values in expected.items():
        result = run([command, "--help"], tmp_path / "h", tmp_path)
        assert result.returncode == 0, result.stderr
        for value in values:
            assert value in result.stdout, (command, value)


def test_format_choices_are_the_parsers_formats():
    from typing import get_args

    from envscale.cli import FormatName
    from envscale.environments.catalog.formats import FORMATS

    assert set(get_args(FormatName)) == set(FORMATS)


def test_help_creates_nothing(tmp_path):
    for args in (["ingest", "--help"], ["build", "--help"], ["config", "show", "--help"], ["config"]):
        result = run(args, tmp_path / "h", tmp_path)
        assert result.returncode in (0, 2) and "Usage" in result.stdout, (args, result.stderr)
        assert list(tmp_path.iterdir()) == [], args


def test_home_that_is_a_file_is_a_usage_error(tmp_path):
    file = tmp_path / "state"
    file.write_text("not a folder")
    result = run(["--home", str(file), "status"], tmp_path / "h", tmp_path)
    assert result.returncode == 2
    assert "a file is in the way" in result.stderr and "Traceback" not in result.stderr


def test_damaged_warehouse_is_reported_without_a_traceback(tmp_path):
    for name, make in (("dir", lambda p: p.mkdir()), ("junk", lambda p: p.write_bytes(b"\x00junk" * 999))):
        home = tmp_path / name
        home.mkdir()
        make(home / "warehouse.duckdb")
        result = run(["--home", str(home), "status"], tmp_path / "h", tmp_path)
        assert result.returncode == 1, (name, result.stderr)
        assert "cannot open the warehouse" in result.stderr and "Move it aside" in result.stderr
        assert "Traceback" not in result.stderr


def test_config_file_syntax_errors_exit_2_with_file_and_line(tmp_path):
    (tmp_path / "bad.toml").write_text("[build]\nseed = \n")
    (tmp_path / "bad.yaml").write_text("build:\n  seed: [1,\n")
    for name in ("bad.toml", "bad.yaml"):
        result = run(["--config", str(tmp_path / name), "config", "show"], tmp_path / "h", tmp_path)
        assert result.returncode == 2, result.stderr
        assert "configuration error:" in result.stderr and name in result.stderr and "line" in result.stderr
        assert "Traceback" not in result.stderr


def test_home_in_config_file_is_refused(tmp_path):
    (tmp_path / "envscale.toml").write_text('home = "elsewhere"\n')
    result = run(["config", "show"], tmp_path / "h", tmp_path)
    assert result.returncode == 2
    assert "`home` cannot be set in a config file" in result.stderr


def test_ingest_of_a_missing_path_exits_2_at_once(tmp_path):
    result = run(["ingest", str(tmp_path / "nonexistent")], tmp_path / "h", tmp_path)
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_a_failed_stage_points_at_its_error_file(home, monkeypatch, capsys):
    from types import SimpleNamespace

    import pytest
    import typer

    import envscale.flows.registry as registry
    from envscale import cli
    from envscale.tasks.run_context import tracked_run

    def failing_flow(**_):
        with tracked_run("build", {}):
            raise RuntimeError("kaput")

    monkeypatch.setattr(registry, "stage", lambda name: SimpleNamespace(load=lambda: failing_flow))
    monkeypatch.setattr(cli, "_preflight", lambda *a: None)  # the empty catalog would stop it earlier
    with pytest.raises(typer.Exit) as exit_:
        cli._run_stage("build")
    assert exit_.value.exit_code == 1
    stderr = capsys.readouterr().err
    (error_file,) = home.runs.glob("*/error.txt")
    assert "build failed:" in stderr and "kaput" in stderr
    assert f"details: {error_file}" in stderr


@pytest.mark.slow
def test_a_stage_that_accepts_nothing_prints_its_reason_without_a_traceback(tmp_path):
    """Prefect's task traceback stays in error.txt; the terminal gets the reason and the file's path."""
    (tmp_path / "empty.json").write_text("[]")
    result = run(
        ["--home", str(tmp_path / "h"), "ingest", str(tmp_path / "empty.json")], tmp_path / "h", tmp_path
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "Traceback" not in out and "ingest failed" in out, out
    error_file = Path(out.split("details:")[1].split()[0])
    assert "Traceback" in error_file.read_text()
