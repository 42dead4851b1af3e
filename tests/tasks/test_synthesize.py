"""The synthesize stage's tasks: accepted environments by selection, and one report over every environment folder."""

from __future__ import annotations

import pytest

from envscale.config import LLMSettings, SynthesizeSettings, UsageError
from envscale.environments.runtime import forget_environments
from envscale.environments.synthesis.sample_env import register_sample_env
from envscale.tasks.synthesize import load_environments_task, synthesize_task
from envscale.warehouse import open_warehouse


@pytest.fixture
def two_folders(tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    a = register_sample_env(wh, tmp_path / "a")
    b = register_sample_env(wh, tmp_path / "b", name="shop_b")
    yield wh, a, b, tmp_path
    forget_environments()


def test_load_environments_by_selection(two_folders):
    wh, a, b, tmp_path = two_folders
    everything = load_environments_task.fn(wh, [])
    assert sorted((m.env_id, d) for m, d in everything) == sorted(
        [(a.env_id, tmp_path / "a"), (b.env_id, tmp_path / "b")]
    )
    assert [m.env_id for m, _ in load_environments_task.fn(wh, ["shop_b"])] == [b.env_id]
    with pytest.raises(UsageError, match="shop_c"):
        load_environments_task.fn(wh, ["shop_c"])


def test_one_report_over_every_folder_in_reverse_mode(two_folders):
    wh, a, b, tmp_path = two_folders
    settings = SynthesizeSettings(blueprints_per_environment=2, mode="reverse")
    report = synthesize_task.fn(
        wh, [(a, tmp_path / "a"), (b, tmp_path / "b")], settings, LLMSettings(), "run-1", {}
    )
    assert report.environments == 2 and report.played == 4
    assert set(report.by_domain_termination) == {("sample_shop", "reverse"), ("shop_b", "reverse")}
    again = synthesize_task.fn(
        wh, [(a, tmp_path / "a"), (b, tmp_path / "b")], settings, LLMSettings(), "run-2", {}
    )
    assert again.played == 0 and again.skipped_existing == 4  # resumable: nothing is played twice
