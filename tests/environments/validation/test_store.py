"""Validation's warehouse side: pending (missing or stale) verdicts, inputs loaded back, verdict rows and the funnel."""

from __future__ import annotations

import pytest

from envscale.environments.runtime import open_episode
from envscale.environments.store.environments import add_environment
from envscale.environments.synthesis.intents import template_task
from envscale.environments.synthesis.store import TrajectoryWriter, save_blueprints, save_tasks
from envscale.environments.validation.records import Outcome, Verdict
from envscale.environments.validation.store import (
    funnel_records,
    load_inputs,
    pending_trajectories,
    store_verdicts,
    verdict_rows,
)
from envscale.environments.validation.validator import EnvironmentValidator
from envscale.warehouse import open_warehouse
from tests.support import shop_env


@pytest.fixture
def synthesized(tmp_path):
    """A warehouse with the shop registered, two blueprints and one reverse trajectory each."""
    directory = tmp_path / "environments"
    manifest = shop_env.build_shop(directory)
    wh = open_warehouse(tmp_path / "w.duckdb")
    add_environment(wh, manifest, manifest.db_path(directory), lineage_hash="l")
    blueprints = [
        shop_env.make_blueprint(manifest, directory, [("cancel_order", {"order_id": "o1"})]),
        shop_env.make_blueprint(manifest, directory, [("get_order", {"order_id": "o2"})]),
    ]
    save_blueprints(wh, blueprints, "run-s")
    save_tasks(wh, [template_task(b) for b in blueprints], "run-s")
    writer = TrajectoryWriter(wh, "run-s")
    trajectories = [shop_env.reverse_trajectory(manifest, b) for b in blueprints]
    for t in trajectories:
        writer.put(t)
    writer.close()
    return manifest, directory, wh, trajectories


def test_validate_store_and_count_in_the_funnel(synthesized):
    manifest, directory, wh, trajectories = synthesized
    pending, current = pending_trajectories(wh, {"max_messages": 64})
    assert current == 0 and {p.trajectory_id for p in pending} == {t.trajectory_id for t in trajectories}
    assert pending_trajectories(wh, {}, env_ids=["other"]) == ([], 0)

    loaded, blueprints, envs = load_inputs(wh, [p.trajectory_id for p in pending])
    assert sorted(t.trajectory_id for t in loaded) == sorted(t.trajectory_id for t in trajectories)
    assert set(envs) == {manifest.env_id} and envs[manifest.env_id].manifest.env_id == manifest.env_id
    validator = EnvironmentValidator(
        manifest.env_id, manifest.tools, lambda: open_episode(manifest, directory=directory)
    )
    outcomes = [validator.validate(t, blueprints[t.blueprint_id]) for t in loaded]
    lineage = {p.trajectory_id: p.lineage_hash for p in pending}
    rows = verdict_rows(outcomes, {}, lineage, "run-v")
    assert store_verdicts(wh, rows) == 2

    assert pending_trajectories(wh, {"max_messages": 64}) == ([], 2)  # up to date now
    stale, _ = pending_trajectories(wh, {"max_messages": 10})  # other settings: every verdict is stale
    assert len(stale) == 2
    funnel = funnel_records(wh)
    assert [(r["domain"], r["verdict"], r["passed_alignment"]) for r in funnel] == [
        ("shop", "accepted", True)
    ] * 2


def test_a_later_verdict_replaces_the_stored_one(synthesized):
    _, _, wh, trajectories = synthesized
    tid = trajectories[0].trajectory_id
    outcome = Outcome(
        trajectory_id=tid, env_id="x", verdict=Verdict.accept(tid), valid=True, aligned=True, exact=True
    )
    store_verdicts(wh, verdict_rows([outcome], {}, {tid: "l1"}, "r1"))
    quarantined = Verdict(
        trajectory_id=tid, verdict="quarantined", stage="contract", reason_code="keys_unique"
    )
    (row,) = verdict_rows([outcome], {tid: quarantined}, {tid: "l2"}, "r2")
    assert (row["verdict"], row["accepted_for_export"], row["passed_alignment"]) == (
        "quarantined",
        False,
        True,
    )
    store_verdicts(wh, [row])
    assert wh.rows("SELECT verdict, lineage_hash FROM validations") == [
        {"verdict": "quarantined", "lineage_hash": "l2"}
    ]
