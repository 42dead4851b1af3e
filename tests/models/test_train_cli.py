"""The `accelerate launch` entry point: one stage from an exported Parquet split, under the multi-GPU config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from envscale.models.dataset_export import features, to_example
from envscale.models.tiny import CORPUS_MESSAGES, CORPUS_TOOLS
from envscale.models.train_cli import main

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "configs" / "accelerate" / "multi_gpu.yaml"


def _split(path: Path) -> Path:
    from datasets import Dataset

    rows = [to_example("t1", "env_1", CORPUS_MESSAGES, CORPUS_TOOLS)]
    Dataset.from_list(rows, features=features()).to_parquet(str(path))
    return path


def test_multi_gpu_config_is_ddp_bf16() -> None:
    import yaml

    config = yaml.safe_load(CONFIG.read_text())
    assert config["distributed_type"] == "MULTI_GPU"
    assert config["mixed_precision"] == "bf16"
    assert config["num_processes"] > 1 and config["num_machines"] == 1


def test_missing_inputs_are_refused_clearly(tiny_model_dir, tmp_path, home, capsys) -> None:
    rc = main(
        [
            "--model-dir",
            str(tiny_model_dir),
            "--dataset",
            str(tmp_path / "nope.parquet"),
            "--out",
            str(tmp_path),
        ]
    )
    assert rc == 2
    assert "--dataset" in capsys.readouterr().err
    assert not (tmp_path / "model").exists()


@pytest.mark.slow
def test_accelerate_launch_trains_one_step(tiny_model_dir, tmp_path, home) -> None:
    dataset = _split(tmp_path / "stage1.parquet")
    out = tmp_path / "stage1"
    accelerate = Path(sys.executable).with_name("accelerate")
    cmd = [
        str(accelerate),
        "launch",
        "--config_file",
        str(CONFIG),
        "--num_processes",
        "1",
        "--cpu",
        "--mixed_precision",
        "no",
        "-m",
        "envscale.models.train_cli",
        "--model-dir",
        str(tiny_model_dir),
        "--dataset",
        str(dataset),
        "--out",
        str(out),
        "--max-steps",
        "1",
    ]
    env = dict(os.environ, OMP_NUM_THREADS="1", ENVSCALE_HOME=str(home.root))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["global_step"] == 1 and result["tokens_seen"] > 0
    assert result["plan"]["device"] == "cpu"
    model_dir = Path(result["model_dir"])
    assert (model_dir / "model.safetensors").is_file() and (model_dir / "envscale_stage.json").is_file()
    assert (out / "checkpoints" / "checkpoint-1" / "trainer_state.json").is_file()


def test_configuration_errors_exit_2_with_the_cli_prefix(tiny_model_dir, tmp_path, home, monkeypatch, capsys):
    base = [
        "--model-dir",
        str(tiny_model_dir),
        "--dataset",
        str(tmp_path / "d.parquet"),
        "--out",
        str(tmp_path),
    ]
    config = tmp_path / "broken.toml"
    config.write_text("[train]\nlora = \n")
    monkeypatch.setenv("ENVSCALE_CONFIG", str(config))
    assert main(base) == 2
    err = capsys.readouterr().err
    assert err.startswith("configuration error:") and "broken.toml" in err and "line 2" in err

    monkeypatch.delenv("ENVSCALE_CONFIG")
    assert main([*base, "--batch-size", "0"]) == 2  # overrides are validated too
    assert capsys.readouterr().err.startswith("configuration error:")


def test_every_option_has_help(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "Train LoRA adapters" in out and "Fine-tune all weights" in out
