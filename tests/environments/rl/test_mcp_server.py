"""The MCP server over real streamable HTTP, driven by the mcp SDK's own client (and raw HTTP for bad input)."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from envscale.environments.rl.mcp_server import (
    DIFF_TOOL,
    RESET_TOOL,
    REWARD_TOOL,
    TASKS_TOOL,
    BackgroundHTTP,
    EnvironmentServer,
    http_app,
)
from envscale.environments.rl.served import ServedEnvironment
from envscale.environments.runtime import open_episode

HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@pytest.fixture
def served(shop_tasks):
    env_id = shop_tasks.tasks[0].blueprint.env_id
    return ServedEnvironment.from_task_set(shop_tasks, env_id)


def _serve(served, **kw):
    server = EnvironmentServer(served, **kw)
    return server, BackgroundHTTP(http_app([server]))


def _serial_hash(served, item) -> str:
    with open_episode(served.manifest, db_path=served.db_path) as ep:
        for call in item.blueprint.calls:
            ep.call(call.name, call.arguments)
        return ep.state_hash()


async def _play(url: str, item) -> dict:
    from mcp import Client

    async with Client(url) as client:
        start = await client.call_tool(RESET_TOOL, {"task_id": item.task_id})
        assert not start.is_error and start.structured_content["instruction"] == item.task.instruction
        for call in item.blueprint.calls:
            result = await client.call_tool(call.name, call.arguments)
            assert not result.is_error, result.content
        diff = await client.call_tool(DIFF_TOOL, {})
        reward = await client.call_tool(REWARD_TOOL, {})
        return {"reward": reward.structured_content, "diff": diff.structured_content["changes"]}


def test_tools_are_listed_with_schemas_and_annotations_and_gold_play_earns_the_reward(served, shop_tasks):
    from mcp import Client

    server, http = _serve(served)
    with http:

        async def listing():
            async with Client(http.url) as client:
                tools = (await client.list_tools()).tools
                tasks = (await client.call_tool(TASKS_TOOL, {})).structured_content["tasks"]
                return tools, tasks

        tools, tasks = asyncio.run(listing())
        by_name = {t.name: t for t in tools}
        for tool in served.manifest.tools:
            listed = by_name[tool.name]
            assert listed.input_schema == tool.parameters
            assert listed.annotations.read_only_hint is (tool.kind == "read")
            assert listed.annotations.destructive_hint is (tool.kind == "write")
        assert {RESET_TOOL, DIFF_TOOL, REWARD_TOOL, TASKS_TOOL} <= set(by_name)
        assert {t["task_id"] for t in tasks} == {t.task_id for t in shop_tasks.tasks}

        async def all_at_once():  # concurrent sessions: each its own episode
            return await asyncio.gather(*(_play(http.url, item) for item in shop_tasks.tasks))

        outcomes = asyncio.run(all_at_once())
    for item, outcome in zip(shop_tasks.tasks, outcomes, strict=True):
        assert outcome["reward"]["reward"] == 1.0 and outcome["reward"]["passed"]
        assert outcome["reward"]["state_hash"] == _serial_hash(served, item) == item.blueprint.gold_state_hash
        assert len(outcome["diff"]) == len(item.blueprint.gold_diff)
    assert server.registry.open_count == 0 and server.registry.closed == server.registry.opened


def test_agent_mistakes_are_tool_errors_and_the_session_survives(served, shop_tasks):
    from mcp import Client

    item = shop_tasks.tasks[0]
    server, http = _serve(served)
    with http:

        async def mistakes():
            async with Client(http.url) as client:
                before = await client.call_tool(
                    item.blueprint.calls[0].name, item.blueprint.calls[0].arguments
                )
                unknown_task = await client.call_tool(RESET_TOOL, {"task_id": "no-such-task"})
                no_id = await client.call_tool(RESET_TOOL, {})
                await client.call_tool(RESET_TOOL, {"task_id": item.task_id})
                unknown_tool = await client.call_tool("no_such_tool", {"a": 1})
                bad_args = await client.call_tool(item.blueprint.calls[0].name, {"nonsense": [1, 2]})
                reward = await client.call_tool(REWARD_TOOL, {})  # the session still works
                return before, unknown_task, no_id, unknown_tool, bad_args, reward

        before, unknown_task, no_id, unknown_tool, bad_args, reward = asyncio.run(mistakes())
    assert before.is_error and "reset" in before.content[0].text
    assert unknown_task.is_error and "unknown task 'no-such-task'" in unknown_task.content[0].text
    assert no_id.is_error and "task_id" in no_id.content[0].text
    assert unknown_tool.is_error and unknown_tool.structured_content["error_code"] == "unknown_tool"
    assert bad_args.is_error and bad_args.structured_content["error_code"] == "invalid_arguments"
    assert json.loads(bad_args.content[0].text)["code"] == "invalid_arguments"
    assert not reward.is_error and reward.structured_content["steps"] == 2
    assert server.registry.open_count == 0


def test_unknown_sessions_and_malformed_requests_get_clear_errors_and_the_server_keeps_serving(
    served, shop_tasks
):
    server, http = _serve(served)
    with http:
        call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": TASKS_TOOL}}
        unknown = httpx.post(http.url, json=call, headers=HEADERS | {"mcp-session-id": "f" * 32})
        assert unknown.status_code == 404 and "session" in unknown.text.lower()
        garbage = httpx.post(http.url, content=b"{not json", headers=HEADERS)
        assert 400 <= garbage.status_code < 500 and "error" in garbage.text.lower()
        not_rpc = httpx.post(http.url, json={"hello": "world"}, headers=HEADERS)
        assert 400 <= not_rpc.status_code < 500
        outcome = asyncio.run(_play(http.url, shop_tasks.tasks[0]))  # still serving
    assert outcome["reward"]["reward"] == 1.0
    assert server.registry.opened == 1 and server.registry.open_count == 0


def test_a_client_that_disconnects_mid_episode_has_its_episode_reaped(served, shop_tasks):
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    item = next(t for t in shop_tasks.tasks if not t.blueprint.read_only)
    server, http = _serve(served, idle_timeout_s=0.5)
    with http:

        async def walk_away():  # no DELETE: the client just goes
            async with Client(streamable_http_client(http.url, terminate_on_close=False)) as client:
                await client.call_tool(RESET_TOOL, {"task_id": item.task_id})
                call = item.blueprint.calls[0]
                await client.call_tool(call.name, call.arguments)

        asyncio.run(walk_away())
        assert server.registry.open_count == 1
        deadline = time.monotonic() + 10
        while server.registry.open_count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.registry.open_count == 0 and server.registry.closed == 1
        assert asyncio.run(_play(http.url, item))["reward"]["reward"] == 1.0  # others unaffected
