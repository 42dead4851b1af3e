"""Served episodes over real streamable HTTP: the runtime's Episode interface on an MCP server, and clear refusals."""

from __future__ import annotations

import pytest

from envscale.environments.rl.mcp_client import ServedEnvironmentError, ServedEpisodes
from envscale.environments.rl.mcp_server import BackgroundHTTP, EnvironmentServer, http_app
from envscale.environments.rl.served import ServedEnvironment


@pytest.fixture
def served_url(shop_tasks):
    served = ServedEnvironment.from_task_set(shop_tasks, shop_tasks.tasks[0].blueprint.env_id)
    with BackgroundHTTP(http_app([EnvironmentServer(served)])) as http:
        yield http.url


def test_a_gold_play_on_a_served_episode_reaches_the_gold_state(shop_tasks, served_url):
    item = shop_tasks.tasks[0]
    with ServedEpisodes(served_url) as episodes:
        episode = episodes.open(item)
        try:
            assert {t.name for t in episode.tools} == {
                t.name for t in shop_tasks.envs[item.blueprint.env_id][0].tools
            }
            for call in item.blueprint.calls:
                assert episode.call(call.name, call.arguments).ok
            assert episode.state_hash() == item.blueprint.gold_state_hash
            assert episode.verdict()["passed"]
            assert len(episode.diff()) == len(item.blueprint.gold_diff)
            bad = episode.call("no_such_tool", {})
            assert not bad.ok and bad.error_code == "unknown_tool"
            with pytest.raises(ServedEnvironmentError, match="tool calls only"):
                episode.query("SELECT 1")
        finally:
            episode.close()


def test_another_environment_or_task_is_refused_by_name(shop_tasks, served_url):
    item = shop_tasks.tasks[0]
    other = item.model_copy(update={"blueprint": item.blueprint.model_copy(update={"env_id": "elsewhere"})})
    with ServedEpisodes(served_url) as episodes:
        with pytest.raises(
            ServedEnvironmentError,
            match="environment elsewhere is not served at .*envscale serve --env shop2",
        ):
            episodes.open(other, name="shop2")
        unknown = item.model_copy(update={"task": item.task.model_copy(update={"task_id": "no-such-task"})})
        with pytest.raises(ServedEnvironmentError, match="refused"):
            episodes.open(unknown)
