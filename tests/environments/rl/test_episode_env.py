"""The gym-style episode API on a real environment: gold calls earn reward 1, wrong play earns 0."""

from __future__ import annotations

import pytest

from envscale.environments.rl import EpisodeError, TaskEnv
from envscale.environments.runtime import ToolCall


def _env(shop_tasks, **kw) -> TaskEnv:
    env_id = shop_tasks.tasks[0].blueprint.env_id
    return TaskEnv.from_task_set(shop_tasks, env_id, **kw)


def test_gold_calls_earn_the_judges_reward_and_reset_restores_the_base_state(shop_tasks):
    with _env(shop_tasks) as env:
        base = None
        for item in shop_tasks.tasks:
            start = env.reset(item.task_id)
            assert start.instruction == item.task.instruction and start.policy and start.tools
            base = base or env.state_hash()
            assert env.state_hash() == base  # every reset starts from the base state
            for call in item.blueprint.calls:
                step = env.step(ToolCall(name=call.name, arguments=call.arguments))
                assert step.observation.ok and not step.done and step.reward == 0.0
            final = env.end()
            assert final.done and final.reward == 1.0, final.info
            assert final.info["verdict"]["state_hash"] == item.blueprint.gold_state_hash
            assert env.step("get_customer", {}).observation.error_code == "episode_done"


def test_wrong_play_earns_nothing_and_mistakes_are_observations(shop_tasks):
    writes = [t for t in shop_tasks.tasks if not t.blueprint.read_only]
    reads = [t for t in shop_tasks.tasks if t.blueprint.read_only]
    with _env(shop_tasks, max_steps=2) as env:
        if writes:  # doing nothing on a write task: the state is not the gold state
            env.reset(writes[0].task_id)
            assert env.verdict().reward == 0.0 and not env.verdict().db_match
        env.reset(shop_tasks.tasks[0].task_id)
        bad = env.step("no_such_tool", {"x": 1})
        assert not bad.observation.ok and bad.observation.error_code == "unknown_tool" and not bad.done
        last = env.step("get_customer", {"customer_id": 12})  # the budget of 2 is spent: judged now
        assert last.done and last.observation.error_code == "invalid_arguments" and "verdict" in last.info
        if reads:  # a read-only task with no gold calls made: the state matches but the calls do not
            env.reset(reads[0].task_id)
            verdict = env.end().info["verdict"]
            assert verdict["db_match"] and verdict["exact_match"] is False and not verdict["passed"]


def test_misuse_of_the_api_raises_one_clear_error(shop_tasks):
    env = _env(shop_tasks)
    with pytest.raises(EpisodeError, match="reset"):
        env.step("get_customer", {})
    with pytest.raises(EpisodeError, match="unknown task"):
        env.reset("no-such-task")
    env.reset(shop_tasks.tasks[0].task_id)
    env.close()
    env.close()
    with pytest.raises(EpisodeError):
        env.verdict()
