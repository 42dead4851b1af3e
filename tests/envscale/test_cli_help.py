"""`--help` as a user reads it (issue 20): defaults from the settings, value types, nothing cut at 80 columns."""

from __future__ import annotations

import re

import pytest

from envscale.config import Settings
from tests.envscale.test_cli import run

COMMANDS = ("ingest", "build", "synthesize", "validate", "train", "evaluate", "promote", "pipeline", "status")


def _joined(text: str) -> str:
    """Help text with its wrapping undone (click breaks lines at spaces and after hyphens)."""
    return re.sub(r"\s+", " ", re.sub(r"-\n\s+", "-", text))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_help_fits_80_columns_and_is_whole(command, tmp_path):
    from typer.main import get_command

    from envscale.cli import app

    result = run([command, "--help"], tmp_path / "h", tmp_path, COLUMNS="80")
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "<bool>" not in result.stdout  # a flag takes no value
    shown = _joined(result.stdout)
    for param in get_command(app).commands[command].params:
        if param.help:
            assert " ".join(param.help.split()) in shown, (command, param.name)


def test_top_level_help_keeps_each_commands_summary_whole(tmp_path):
    from typer.main import get_command

    from envscale.cli import app

    result = run(["--help"], tmp_path / "h", tmp_path, COLUMNS="80")
    shown = _joined(result.stdout)
    for name, cmd in get_command(app).commands.items():
        first = " ".join((cmd.help or "").split("\n\n")[0].split())
        assert f"{name} {first}" in shown, name
    assert "..." not in result.stdout.split("Commands:")[1]


def test_defaults_shown_are_the_settings_defaults(tmp_path):
    s = Settings.model_fields
    expected = {
        "synthesize": [
            f"[default: {s['synthesize'].default.mode}, setting synthesize.mode]",
            f"[default: {s['synthesize'].default.episodes_in_flight}, setting synthesize.episodes_in_flight]",
            f"[default: {s['synthesize'].default.blueprints_per_environment}, setting synthesize.blueprints_per_environment]",
        ],
        "train": [
            f"[default: {s['train'].default.max_steps}, setting train.max_steps]",
            "[default: --full, setting train.lora]",
        ],
        "evaluate": [
            f"[default: {s['evaluate'].default.k}, setting evaluate.k]",
            f"[default: {s['evaluate'].default.max_tasks}, setting evaluate.max_tasks]",
            "[default: no, setting evaluate.compare_base]",
        ],
        "build": [
            "[default: graph, setting build.domains]",
            "[default: all, setting build.max_environments]",
        ],
    }
    for command, lines in expected.items():
        shown = _joined(run([command, "--help"], tmp_path / "h", tmp_path, COLUMNS="200").stdout)
        for line in lines:
            assert line in shown, (command, line)


def test_value_types_are_named(tmp_path):
    shown = _joined(run(["evaluate", "--help"], tmp_path / "h", tmp_path, COLUMNS="200").stdout)
    for option in ("--model URI", "--base-url URL", "-k N", "--max-tasks N", "--served URL"):
        assert option in shown, option
    assert "--compare-base / --no-compare-base Also" in shown  # a flag pair, no value


def test_pipeline_stages_refuses_unknown_names_in_one_line(tmp_path):
    result = run(["pipeline", "--stages", "ingest,bogus"], tmp_path / "h", tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "unknown: bogus" in result.stderr


def test_pipeline_stages_parses_a_comma_list():
    import typer

    from envscale.cli import _pipeline_stages

    assert _pipeline_stages(None) == []
    assert _pipeline_stages("synthesize, validate") == ["synthesize", "validate"]
    with pytest.raises(typer.Exit):
        _pipeline_stages(",")
    with pytest.raises(typer.Exit):
        _pipeline_stages("rl")  # not a pipeline stage: `envscale train --stage rl`


@pytest.mark.slow
def test_pipeline_stages_runs_only_those_stages(tmp_path):
    result = run(
        ["--home", str(tmp_path / "h"), "pipeline", "--stages", "ingest"],
        tmp_path / "h",
        tmp_path,
        COLUMNS="200",
    )
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("envscale pipeline")[1]
    assert "ingest" in table and "completed" in table
    for later in ("build", "synthesize", "train"):
        assert f"│ {later}" not in table
