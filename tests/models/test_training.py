"""Training stages on a tiny model: LoRA merged, one progress bar, clear errors, checkpoints pruned once finished."""

from __future__ import annotations

from pathlib import Path

import pytest

from envscale.config import TrainSettings
from envscale.models.dataset_export import export_datasets
from envscale.models.training import DONE_MARKER, prune_finished_checkpoints, train_stage
from tests.support.model_weights import weights as _weights


def test_lora_stage_yields_merged_plain_weights(home, seeded_warehouse, tiny_model_dir, tmp_path) -> None:
    settings = TrainSettings(
        max_steps=2, save_steps=10, batch_size=2, learning_rate=1e-2, lora=True, lora_r=4
    )
    export = export_datasets(seeded_warehouse, tmp_path / "ds", settings)
    result = train_stage(
        "stage1", tiny_model_dir, Path(export.splits["stage1"].path), tmp_path / "s1", settings
    )
    files = {p.name for p in Path(result.model_dir).iterdir()}
    assert "model.safetensors" in files and "adapter_config.json" not in files
    before, after = _weights(tiny_model_dir), _weights(result.model_dir)
    assert before.keys() == after.keys()  # no lora_A/lora_B left: merged
    assert any(not (before[k] == after[k]).all() for k in before)


def test_a_stage_draws_one_bar_with_steps_loss_and_speed_not_log_dicts(
    home, seeded_warehouse, tiny_model_dir, tmp_path, capsys
) -> None:
    import io

    settings = TrainSettings(max_steps=3, save_steps=10, batch_size=1, learning_rate=1e-3)
    export = export_datasets(seeded_warehouse, tmp_path / "ds", settings)
    bar = io.StringIO()
    train_stage(
        "stage1",
        tiny_model_dir,
        Path(export.splits["stage1"].path),
        tmp_path / "s1",
        settings,
        progress_file=bar,
    )
    drawn = bar.getvalue()
    assert "train stage1" in drawn and "3/3" in drawn
    assert "loss=" in drawn and "tokens/s" in drawn
    printed = capsys.readouterr()
    assert "{'loss'" not in printed.out + printed.err  # the Trainer's raw log dicts are gone


def test_empty_split_is_a_clear_error(home, tiny_model_dir, tmp_path) -> None:
    from envscale.warehouse import open_warehouse

    settings = TrainSettings(max_steps=1)
    export = export_datasets(open_warehouse(home.warehouse), tmp_path / "ds", settings)
    with pytest.raises(ValueError, match="empty"):
        train_stage("stage1", tiny_model_dir, Path(export.splits["stage1"].path), tmp_path / "s1", settings)


def test_only_a_finished_stage_loses_its_checkpoints(tmp_path) -> None:
    stage = tmp_path / "stage1"
    checkpoint = stage / "checkpoints" / "checkpoint-2"
    checkpoint.mkdir(parents=True)
    (checkpoint / "optimizer.pt").write_bytes(b"x" * 1000)
    (checkpoint / "model.safetensors").write_bytes(b"y" * 24)
    assert prune_finished_checkpoints(stage) == 0  # unfinished: a rerun resumes from it
    assert checkpoint.is_dir()
    (stage / "model").mkdir()
    (stage / "model" / DONE_MARKER).write_text("{}")
    assert prune_finished_checkpoints(stage) == 1024
    assert not (stage / "checkpoints").exists() and (stage / "model" / DONE_MARKER).is_file()
    assert prune_finished_checkpoints(stage) == 0
