"""Judging a trial on the real shop environment: gold state, exact reads, required outputs, and failed calls counted."""

from __future__ import annotations

import pytest

from envscale.environments.evaluation.judge import RecordingEpisode, judge, judge_state
from envscale.environments.evaluation.records import EvalTask
from envscale.environments.runtime import open_episode
from envscale.environments.synthesis.intents import template_task
from tests.support import shop_env


@pytest.fixture
def shop(tmp_path):
    directory = tmp_path / "environments"
    return shop_env.build_shop(directory), directory


def _item(blueprint, **over) -> EvalTask:
    return EvalTask(
        task=template_task(blueprint), blueprint=blueprint, domain="shop", source="heldout", **over
    )


def _play(shop, gold, calls, *, content="Done."):
    """Run ``calls`` on a recording episode, as an agent would; the trajectory as the engine records it."""
    manifest, directory = shop
    episode = RecordingEpisode(open_episode(manifest, directory=directory))
    messages = [{"role": "user", "content": "please"}]
    for i, (name, args) in enumerate(calls):
        episode.call(name, args)
        messages.append(shop_env.call_message(f"c{i}", name, args))
    messages.append({"role": "assistant", "content": content})
    trajectory = shop_env.reverse_trajectory(manifest, gold).model_copy(
        update={
            "messages": tuple(messages),
            "final_state_hash": episode.state_hash(),
            "termination": "user_stop",
        }
    )
    return episode, trajectory


def test_reaching_the_gold_state_passes_despite_a_failed_retry(shop):
    manifest, directory = shop
    gold = shop_env.make_blueprint(manifest, directory, [("cancel_order", {"order_id": "o1"})])
    episode, trajectory = _play(
        shop, gold, [("cancel_order", {"order_id": "o9"}), ("cancel_order", {"order_id": "o1"})]
    )
    try:
        result = judge(_item(gold), trajectory, episode)
    finally:
        episode.close()
    assert result.passed and result.db_match and result.exact_match is None
    assert (result.tool_calls, result.error_calls, result.turns) == (2, 1, 3)


def test_a_wrong_state_fails(shop):
    manifest, directory = shop
    gold = shop_env.make_blueprint(manifest, directory, [("cancel_order", {"order_id": "o1"})])
    episode, trajectory = _play(shop, gold, [("cancel_order", {"order_id": "o3"})])
    try:
        result = judge(_item(gold), trajectory, episode)
    finally:
        episode.close()
    assert not result.passed and not result.db_match


def test_read_only_tasks_need_the_gold_reads_unless_exempt(shop):
    manifest, directory = shop
    gold = shop_env.make_blueprint(manifest, directory, [("get_order", {"order_id": "o1"})])
    episode, trajectory = _play(shop, gold, [("get_order", {"order_id": "o2"})])
    try:
        db_match, exact, mismatch = judge_state(_item(gold), trajectory.final_state_hash, episode)
        assert db_match and exact is False and mismatch["position"] == 0
        assert not judge(_item(gold), trajectory, episode).passed
        assert judge(_item(gold, exact_reads=False), trajectory, episode).passed
    finally:
        episode.close()


def test_required_outputs_must_appear_in_a_reply(shop):
    manifest, directory = shop
    gold = shop_env.make_blueprint(manifest, directory, [("get_order", {"order_id": "o1"})])
    episode, trajectory = _play(
        shop, gold, [("get_order", {"order_id": "o1"})], content="Your total is 1,250."
    )
    try:
        assert judge(_item(gold, outputs=("1250",)), trajectory, episode).outputs_ok is True
        missed = judge(_item(gold, outputs=("999",)), trajectory, episode)
        assert missed.outputs_ok is False and not missed.passed
        assert not judge(_item(gold), trajectory, episode, actions_ok=False).passed
    finally:
        episode.close()
