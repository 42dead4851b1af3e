"""Dual control (τ² telecom): gold actions matched across both sides, the user's device tools, and a scripted user with a phone."""

from __future__ import annotations

import asyncio

import pytest

from envscale.environments.evaluation.dual_control import (
    DualControlEpisode,
    ScriptedDeviceUser,
    action_matched,
    user_tool_schemas,
)
from envscale.environments.imports.tau2 import import_tau2
from envscale.environments.imports.tau2_data import find_domains
from envscale.environments.imports.tau2_device import USER_TOOLS, load_user_state
from envscale.environments.runtime import forget_environments, open_episode
from envscale.environments.synthesis.intents import template_task
from envscale.environments.synthesis.records import Blueprint
from tests.support.tau2_fixture import write_telecom


def test_action_matched_compares_only_the_named_arguments():
    gold = {
        "name": "enable_roaming",
        "arguments": {"customer_id": "C1", "line_id": "L1"},
        "compare_args": ["line_id"],
    }
    assert action_matched(
        gold, [("get_customer", {}), ("enable_roaming", {"customer_id": "C9", "line_id": "L1"})]
    )
    assert not action_matched(gold, [("enable_roaming", {"customer_id": "C1", "line_id": "L2"})])
    every = {"name": "toggle_roaming", "arguments": {}}
    assert action_matched(every, [("toggle_roaming", {})])
    assert not action_matched({**every, "arguments": {"on": True}}, [("toggle_roaming", {"on": False})])


def test_user_tool_schemas_are_the_device_tools():
    names = [s["function"]["name"] for s in user_tool_schemas()]
    assert names and set(names) <= set(USER_TOOLS) and "toggle_roaming" in names


@pytest.fixture
def dual(tmp_path):
    (domain,) = find_domains(write_telecom(tmp_path / "domains"))
    manifest = import_tau2(domain, tmp_path / "envs")
    episode = DualControlEpisode(
        open_episode(manifest, directory=tmp_path / "envs"), load_user_state(domain.folder)
    )
    yield episode
    episode.close()
    forget_environments()


def test_the_scripted_device_user_runs_the_tools_the_agent_names_in_order(dual):
    blueprint = Blueprint(blueprint_id="b", env_id="e", calls=(), read_only=True, gold_state_hash="h")
    calls = []

    def act(name, arguments):
        calls.append(name)
        return dual.user_call(name, arguments)

    user = ScriptedDeviceUser(template_task(blueprint), blueprint, act, gold=())
    before = dual.state_hash()
    turn = asyncio.run(user.reply("Please check status bar, then toggle_roaming and check status bar again."))
    assert calls == ["check_status_bar", "toggle_roaming"]  # each named tool once, in the order named
    assert turn.text.startswith("I did that on my phone. check_status_bar: Status Bar:")
    assert dual.state_hash() != before  # the phone changed
    stop = asyncio.run(user.reply("All fixed."))
    assert stop.stop and calls == ["check_status_bar", "toggle_roaming"]
