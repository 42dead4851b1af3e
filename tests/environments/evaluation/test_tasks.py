"""Task sets: held-out environments from the datasets table, and τ-bench tasks with gold replay."""

from __future__ import annotations

import pytest

from envscale.config import EndpointSettings, SynthesizeSettings
from envscale.environments.evaluation.tasks import heldout_env_ids, heldout_tasks, import_tau_bench_tasks
from envscale.environments.synthesis import store
from envscale.environments.synthesis.intents import template_task
from envscale.environments.synthesis.run import sample_environment
from envscale.environments.synthesis.sample_env import register_sample_env
from envscale.warehouse import open_warehouse


def test_heldout_follows_the_datasets_table(home):
    wh = open_warehouse(home.warehouse)
    a = register_sample_env(wh, home.environments, name="shop_a")
    b = register_sample_env(wh, home.environments, name="shop_b")
    assert heldout_env_ids(wh) == sorted([a.env_id, b.env_id])  # nothing trained yet
    wh.insert(
        "datasets",
        [
            {
                "dataset_id": "d1",
                "name": "s1",
                "split": "stage1",
                "path": "x",
                "n_rows": 1,
                "env_ids": [a.env_id],
                "lineage_hash": "x",
            }
        ],
    )
    assert heldout_env_ids(wh) == [b.env_id]
    c = register_sample_env(wh, home.environments, name="shop_c")
    wh.insert(
        "datasets",
        [
            {
                "dataset_id": "d2",
                "name": "h",
                "split": "heldout",
                "path": "x",
                "n_rows": 1,
                "env_ids": [a.env_id, b.env_id],
                "lineage_hash": "x",
            }
        ],
    )
    # the recorded split wins (c is untrained but was not held out), less what an export trained on (a)
    assert c.env_id not in (a.env_id, b.env_id) and heldout_env_ids(wh) == [b.env_id]


def test_heldout_tasks_are_stored_tasks_spread_over_envs_and_deterministic(home):
    wh = open_warehouse(home.warehouse)
    envs = [register_sample_env(wh, home.environments, name=n) for n in ("shop_a", "shop_b", "empty")]
    for m in envs[:2]:
        kept, _ = sample_environment(m, home.environments, SynthesizeSettings(blueprints_per_environment=3))
        store.save_blueprints(wh, kept, None)
        store.save_tasks(wh, [template_task(bp) for bp in kept], None)
    ids = [m.env_id for m in envs]
    ts = heldout_tasks(wh, ids, max_tasks=4, seed=0)
    assert len(ts.tasks) == 4
    assert {t.blueprint.env_id for t in ts.tasks} == {envs[0].env_id, envs[1].env_id}
    assert [s.reason.split(":")[0] for s in ts.skipped] == ["no_blueprints"]
    assert ts.task_ids == heldout_tasks(wh, ids, max_tasks=4, seed=0).task_ids
    assert {t.domain for t in ts.tasks} == {"shop_a", "shop_b"}


def test_a_superseded_heldout_env_is_skipped_with_its_reason(home):
    wh = open_warehouse(home.warehouse)
    envs = [register_sample_env(wh, home.environments, name=n) for n in ("shop_a", "shop_b")]
    for m in envs:
        kept, _ = sample_environment(m, home.environments, SynthesizeSettings(blueprints_per_environment=2))
        store.save_blueprints(wh, kept, None)
    with wh.transaction() as con:  # a later build no longer yields shop_b
        con.execute("UPDATE environments SET status = 'superseded' WHERE name = 'shop_b'")
    ts = heldout_tasks(wh, [m.env_id for m in envs], max_tasks=10, seed=0)
    assert {t.blueprint.env_id for t in ts.tasks} == {envs[0].env_id} and set(ts.envs) == {envs[0].env_id}
    assert [(s.ref, s.domain, s.reason.split(":")[0]) for s in ts.skipped] == [
        (envs[1].env_id, "shop_b", "superseded")
    ]


@pytest.mark.shared_data
def test_tau_bench_tasks_replay_gold_and_an_oracle_scores_one(shared_data, tmp_path):
    from envscale.environments.evaluation.run import evaluate_task_set
    from envscale.environments.runtime import forget_environments
    from tests.support import standin
    from tests.support.oracle import oracle_responder

    ts = import_tau_bench_tasks(shared_data, tmp_path, ["retail", "airline"], split="test", limit=3, seed=0)
    try:
        # Both domains import (airline since its programs exist): three tasks each, nothing skipped.
        assert sorted(t.domain for t in ts.tasks) == ["tau_bench_airline"] * 3 + ["tau_bench_retail"] * 3
        assert not ts.skipped
        assert all(not t.exact_reads for t in ts.tasks)
        with standin.StandInServer(oracle_responder(ts.tasks)) as server:
            agent = EndpointSettings(base_url=server.base_url, max_retries=0, max_tokens=64)
            report = evaluate_task_set(
                ts,
                agent=agent,
                user=EndpointSettings(mode="scripted"),
                k=1,
                seed=0,
                label="oracle",
                max_turns=20,
            )
            assert report.overall.pass_1 == 1.0, [t for t in report.trials if not t.passed]
        with standin.StandInServer(oracle_responder(ts.tasks, succeeds=lambda r: False)) as server:
            agent = EndpointSettings(base_url=server.base_url, max_retries=0)
            report = evaluate_task_set(
                ts, agent=agent, user=EndpointSettings(mode="scripted"), k=1, seed=0, label="q"
            )
        writes = [t for t in report.trials if not t.read_only]
        assert writes and not any(t.passed for t in writes)
    finally:
        forget_environments()
