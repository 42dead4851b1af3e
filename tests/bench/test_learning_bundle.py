"""The learning experiment's bundle: what the data half writes, the device half plays unchanged."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from envscale.config import EndpointSettings
from envscale.environments.evaluation.run import evaluate_task_set
from envscale.models.dataset_export import ExportedSplit
from tests.support import standin
from tests.support.oracle import oracle_responder

REPO = Path(__file__).resolve().parents[2]


def _bundle_module():
    spec = importlib.util.spec_from_file_location("learning_bundle", REPO / "bench" / "learning_bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _export(tmp_path: Path) -> SimpleNamespace:
    path = tmp_path / "stage1.parquet"
    pq.write_table(pa.table({"messages": ["[]", "[]"], "tools": ["[]", "[]"]}), path)
    split = ExportedSplit(split="stage1", dataset_id="d1", path=str(path), n_rows=2, env_ids=("e1",))
    return SimpleNamespace(splits={"stage1": split})


def test_a_bundled_task_set_plays_like_the_original(shop_tasks, tmp_path):
    lb = _bundle_module()
    bundle = lb.write_bundle(tmp_path / "bundle", _export(tmp_path), {"held-out": shop_tasks}, meta={"k": 2})
    meta = lb.read_meta(bundle)
    assert meta["rows"] == {"stage1": 2} and meta["k"] == 2
    assert pq.ParquetFile(bundle / "splits" / "stage1.parquet").metadata.num_rows == 2

    sets = lb.read_task_sets(bundle, tmp_path / "work")
    back = sets["held-out"]
    assert back.task_ids == shop_tasks.task_ids
    assert [t.blueprint for t in back.tasks] == [t.blueprint for t in shop_tasks.tasks]
    (env_id,) = back.envs
    manifest, db = back.envs[env_id]
    assert manifest == shop_tasks.envs[env_id][0]
    assert db.parent == tmp_path / "work"  # a working copy: the bundle's own file stays untouched

    # The judge's calibration on the copied DuckDB file: the gold calls still reach the gold state.
    agent_kw = dict(model="agent", max_retries=0, timeout_s=10)
    with standin.StandInServer(oracle_responder(back.tasks)) as server:
        report = evaluate_task_set(
            back,
            agent=EndpointSettings(base_url=server.base_url, **agent_kw),
            user=EndpointSettings(mode="scripted"),
            k=1,
            seed=0,
            label="bundle",
        )
    assert report.overall.pass_1 == 1.0 and report.overall.db_match_rate == 1.0


def test_a_folder_without_bundle_json_is_refused_with_the_fix(tmp_path):
    lb = _bundle_module()
    with pytest.raises(SystemExit, match="--phase data"):
        lb.read_meta(tmp_path)
    (tmp_path / "bundle.json").write_text(json.dumps({"rows": {}}))
    assert lb.read_meta(tmp_path) == {"rows": {}}


def test_writing_a_bundle_never_wipes_a_folder_that_is_not_one(shop_tasks, tmp_path):
    lb = _bundle_module()
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="not a learning bundle"):
        lb.write_bundle(precious, _export(tmp_path), {"held-out": shop_tasks}, meta={})
    assert (precious / "notes.txt").read_text() == "keep me"
    # an older bundle is replaced
    bundle = lb.write_bundle(tmp_path / "b", _export(tmp_path), {"held-out": shop_tasks}, meta={"n": 1})
    lb.write_bundle(bundle, _export(tmp_path), {"held-out": shop_tasks}, meta={"n": 2})
    assert lb.read_meta(bundle)["n"] == 2


def test_bench_scripts_explain_themselves_on_help() -> None:
    import subprocess
    import sys

    for script, args, expected in (
        ("learning_bundle.py", ["--help"], "library used by bench/learning_experiment.py"),
        ("learning_bundle.py", [], "library used by bench/learning_experiment.py"),
        ("env_build.py", ["--help"], "Threads building environments at once"),
    ):
        proc = subprocess.run(
            [sys.executable, str(REPO / "bench" / script), *args], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        assert expected in proc.stdout, (script, proc.stdout)
    assert "Environment build throughput" in proc.stdout


def test_the_rl_stages_tasks_travel_in_the_bundle_but_are_never_evaluated(shop_tasks, tmp_path):
    lb = _bundle_module()
    sets = {"held-out": shop_tasks, lb.RL_SET: shop_tasks}
    bundle = lb.write_bundle(tmp_path / "bundle", _export(tmp_path), sets, meta={})
    evaluated, rl = lb.split_rl_set(lb.read_task_sets(bundle, tmp_path / "work"))
    assert list(evaluated) == ["held-out"]
    assert rl is not None and rl.task_ids == shop_tasks.task_ids
    assert (
        lb.split_rl_set(
            lb.read_task_sets(
                lb.write_bundle(tmp_path / "b2", _export(tmp_path), {"held-out": shop_tasks}, meta={}),
                tmp_path / "w2",
            )
        )[1]
        is None
    )
