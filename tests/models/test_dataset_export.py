"""Export of accepted trajectories into stage-1/stage-2/held-out Parquet splits, by environment."""

from __future__ import annotations

import json
from pathlib import Path

from envscale.config import TrainSettings
from envscale.environments.evaluation.tasks import heldout_env_ids
from envscale.environments.store.datasets import SplitHistory
from envscale.models.chat_template import render
from envscale.models.dataset_export import (
    EnvInfo,
    _score,
    export_datasets,
    load_split,
    matches_vertical,
    split_environments,
)


def test_export_splits_by_environment_and_registers_datasets(seeded_warehouse, tmp_path: Path) -> None:
    settings = TrainSettings(vertical=["retail"], heldout_fraction=0.25)
    result = export_datasets(seeded_warehouse, tmp_path / "ds", settings, run_id="run-1")
    split = result.split
    # retail-tagged envs are vertical; the imported τ-bench env is evaluation-only
    assert set(split.vertical_envs) | set(split.heldout) >= {"env_v1", "env_v2"}
    assert "env_tau" in split.heldout and "env_tau" not in split.general + split.vertical_envs
    # every group of >= 2 envs keeps at least one held out; nothing is both trained on and held out
    assert set(split.heldout) & {"env_v1", "env_v2"} and set(split.heldout) & {
        "env_g1",
        "env_g2",
        "env_g3",
        "env_g4",
    }
    assert not set(split.heldout) & set(split.general + split.vertical_envs)

    stage1 = load_split(result.splits["stage1"].path)
    heldout = load_split(result.splits["heldout"].path)
    assert set(stage1["env_id"]) == set(split.general)
    assert not set(stage1["env_id"]) & set(split.heldout)
    assert set(heldout["env_id"]) == set(split.heldout)
    # rejected trajectories are not exported; the malformed accepted one is kept out with a reason
    assert not any(t.endswith("_3") for t in stage1["trajectory_id"])
    assert [s.trajectory_id for s in result.skipped] == ["t_bad"]
    assert "not JSON" in result.skipped[0].reason

    row = stage1[0]
    call = next(m for m in row["messages"] if m["tool_calls"])["tool_calls"][0]
    assert isinstance(call["function"]["arguments"], str) and json.loads(call["function"]["arguments"])
    assert isinstance(row["tools"], str) and json.loads(row["tools"])[0]["type"] == "function"
    # the exported row renders through the shared template
    assert "<tool_call>" in render(row["messages"], row["tools"])

    with seeded_warehouse.connect() as con:
        rows = con.execute("SELECT split, n_rows, run_id FROM datasets ORDER BY split").fetchall()
    assert [(s, r) for s, _, r in rows] == [("heldout", "run-1"), ("stage1", "run-1"), ("stage2", "run-1")]
    assert dict((s, n) for s, n, _ in rows)["stage1"] == len(stage1)
    assert set(heldout_env_ids(seeded_warehouse)) == set(split.heldout)
    assert json.loads((tmp_path / "ds" / "split.json").read_text())["heldout"] == list(split.heldout)


def test_export_is_deterministic_and_reruns_add_no_rows(seeded_warehouse, tmp_path: Path) -> None:
    settings = TrainSettings(vertical=["shop-*"])
    first = export_datasets(seeded_warehouse, tmp_path / "a", settings)
    second = export_datasets(seeded_warehouse, tmp_path / "b", settings)
    assert first.split == second.split
    assert {k: v.dataset_id for k, v in first.splits.items()} == {
        k: v.dataset_id for k, v in second.splits.items()
    }
    with seeded_warehouse.connect() as con:
        assert con.execute("SELECT count(*) FROM datasets").fetchone()[0] == 3


def test_split_is_stable_when_environments_are_added() -> None:
    settings = TrainSettings(heldout_fraction=0.3)
    envs = [EnvInfo(env_id=f"env_{i}", name=f"n{i}", origin="generated") for i in range(40)]
    before = split_environments(envs[:30], settings)
    after = split_environments(envs, settings)
    assert set(before.heldout) <= set(after.heldout)
    assert set(before.general) <= set(after.general)
    assert 0.1 < len(after.heldout) / 40 < 0.5


def test_evaluation_never_uses_an_environment_any_export_trained_on(seeded_warehouse, tmp_path: Path) -> None:
    # Changing the vertical pick moves environments between stage 1 and 2 and back; a model
    # trained on an earlier export must not be evaluated on its own training environments.
    trained: set[str] = set()
    for i, vertical in enumerate([[], ["retail"], []]):
        result = export_datasets(seeded_warehouse, tmp_path / f"ds{i}", TrainSettings(vertical=vertical))
        trained |= set(result.split.general + result.split.vertical_envs)
        held = heldout_env_ids(seeded_warehouse)
        assert held and set(held) <= set(result.split.heldout)  # the latest export's held-out set
        assert not set(held) & trained
    # another seed is a deliberate re-split: a new family, evaluated on its own held-out set
    resplit = export_datasets(seeded_warehouse, tmp_path / "seed2", TrainSettings(split_seed=2))
    assert heldout_env_ids(seeded_warehouse) == sorted(resplit.split.heldout)
    assert set(resplit.split.heldout) & trained  # it may hold out what seed 0 trained on


def _env(env_id: str, origin: str = "generated") -> EnvInfo:
    return EnvInfo(env_id=env_id, name=env_id, origin=origin)


def _trained_by_score(settings: TrainSettings) -> list[str]:
    """Env ids whose hash score alone keeps them in training, lowest score (the fallback's pick) first."""
    above = [
        f"env-{i}" for i in range(200) if _score(f"env-{i}", settings.split_seed) >= settings.heldout_fraction
    ]
    return sorted(above, key=lambda e: _score(e, settings.split_seed))


def test_held_out_environments_stay_held_out_when_environments_are_added() -> None:
    settings = TrainSettings()
    above = _trained_by_score(settings)
    a, b, newcomer = above[5], above[6], above[0]  # the newcomer scores lowest: the fallback's pick
    first = split_environments([_env(a), _env(b)], settings)
    assert first.heldout == (a,) and first.general == (b,)  # two envs: the lower score is the test set
    history = SplitHistory(heldout=frozenset(first.heldout), trained=frozenset(first.general))
    second = split_environments([_env(a), _env(b), _env(newcomer)], settings, history)
    assert a in second.heldout and b in second.general  # nothing moved
    assert newcomer in second.general  # the group already has its test set
    # without the history the fallback would have swapped the test environment
    assert a in split_environments([_env(a), _env(b), _env(newcomer)], settings).general


def test_a_superseded_test_environment_does_not_stand_in_for_a_live_one() -> None:
    settings = TrainSettings()
    above = _trained_by_score(settings)
    old, a, b = above[0], above[5], above[6]
    # 'old' was the test set, then a rebuild superseded it: the live pair needs a test set of its own
    history = SplitHistory(heldout=frozenset({old}))
    gone = EnvInfo(env_id=old, name=old, origin="generated", status="superseded")
    split = split_environments([gone, _env(a), _env(b)], settings, history)
    assert old in split.heldout and a in split.heldout and split.general == (b,)


def test_a_group_is_never_held_out_whole() -> None:
    settings = TrainSettings(vertical=["tau-*"])
    tau = _env("tau-bench-retail", origin="imported")
    # held out as a benchmark by an earlier export, then picked as vertical: stage 2 trains on it
    history = SplitHistory(heldout=frozenset({tau.env_id}))
    split = split_environments([tau, _env("g1"), _env("g2")], settings, history)
    assert split.vertical_envs == (tau.env_id,) and tau.env_id not in split.heldout
    # a lone general environment whose score falls under the fraction is trained on, not held out
    low = next(
        f"e{i}" for i in range(100) if _score(f"e{i}", settings.split_seed) < settings.heldout_fraction
    )
    assert split_environments([_env(low)], TrainSettings()).general == (low,)


def test_vertical_selectors() -> None:
    env = EnvInfo(
        env_id="e1",
        name="tau-bench-retail",
        origin="imported",
        domain_id="d9",
        domain_name="Shop",
        tags=("retail",),
    )
    assert matches_vertical(env, ["d9"]) and matches_vertical(env, ["e1"])
    assert (
        matches_vertical(env, ["tau-bench-*"])
        and matches_vertical(env, ["RETAIL"])
        and matches_vertical(env, ["sh*"])
    )
    assert not matches_vertical(env, ["airline", "d1"])
