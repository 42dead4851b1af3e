"""What is served: an environment from a task set (its tasks, policy and description), and accepted ones by name or id."""

from __future__ import annotations

import pytest

from envscale.environments.rl.served import ServedEnvironment, UnknownEnvironment, resolve_environments
from envscale.environments.store.environments import add_environment
from envscale.environments.synthesis.interplay import AGENT_SYSTEM
from envscale.warehouse import open_warehouse


def test_from_task_set_takes_the_environments_tasks_and_policy(shop_tasks):
    env_id = shop_tasks.tasks[0].blueprint.env_id
    served = ServedEnvironment.from_task_set(shop_tasks, env_id)
    assert served.name == "sample_shop" and served.env_id == env_id
    assert set(served.tasks) == {t.task_id for t in shop_tasks.tasks}
    assert served.policy == served.manifest.system_prompt(AGENT_SYSTEM)  # the environment's rules, if any
    assert served.policy != ServedEnvironment.from_task_set(shop_tasks, env_id, policy="Be brief.").policy
    assert served.describe().startswith(
        f"envscale environment sample_shop ({env_id}): 5 tools, {len(served.tasks)} tasks."
    )
    assert ServedEnvironment.from_task_set(shop_tasks, env_id, name="shop_b").name == "shop_b"


def test_resolve_names_ids_and_refuses_unknown_ones(shop_tasks, tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    with pytest.raises(
        UnknownEnvironment, match=r"no accepted environment 'sample_shop'; accepted: none \(build first\)"
    ):
        resolve_environments(wh, ["sample_shop"], shared_data=None)
    ((manifest, path),) = shop_tasks.envs.values()
    add_environment(wh, manifest, path, lineage_hash="l")
    (by_name,) = resolve_environments(wh, ["sample_shop"], shared_data=None)
    (by_id,) = resolve_environments(wh, [manifest.env_id, "sample_shop"], shared_data=None)  # one env, once
    assert by_name.env_id == by_id.env_id == manifest.env_id
    assert by_name.tasks == {}  # no stored tasks: served, and reset names none
    with pytest.raises(UnknownEnvironment, match="accepted: sample_shop"):
        resolve_environments(wh, ["sample_shop", "shopp"], shared_data=None)
