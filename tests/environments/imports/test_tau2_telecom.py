"""τ² telecom (dual control) on a small τ²-format fixture: the agent's tools, the user's device, sync, assertions."""

from __future__ import annotations

from pathlib import Path

import pytest

from envscale.environments.evaluation.dual_control import DualControlEpisode, SetupError
from envscale.environments.imports.tau2 import import_tau2
from envscale.environments.imports.tau2_data import find_domains, load_tasks
from envscale.environments.imports.tau2_device import USER_TOOLS, load_user_state
from envscale.environments.runtime import open_episode
from tests.support.tau2_fixture import write_telecom

TARGET = {"customer_id": "C1", "line_id": "L1"}


@pytest.fixture
def telecom(tmp_path: Path):
    folder = write_telecom(tmp_path / "domains")
    domain = find_domains(folder)[0]
    manifest = import_tau2(domain, tmp_path / "envs")
    return domain, manifest, tmp_path / "envs"


def _dual(telecom, task_index: int | None = None) -> DualControlEpisode:
    domain, manifest, envs = telecom
    ep = DualControlEpisode(open_episode(manifest, directory=envs), load_user_state(domain.folder))
    if task_index is not None:
        ep.setup(load_tasks(domain)[task_index].initialization)
    return ep


def test_import_gives_the_agent_tools_only_and_the_policy_with_the_manual(telecom) -> None:
    domain, manifest, _ = telecom
    names = {t.name for t in manifest.tools}
    assert len(names) == 13 and not manifest.dropped and manifest.name == "tau2_telecom"
    assert names.isdisjoint(USER_TOOLS) and "set_data_usage" not in names  # setup functions are not tools
    assert manifest.table_counts == {"plans": 1, "devices": 1, "customers": 1, "lines": 1, "bills": 1}
    assert domain.dual_control and "<tech_support_policy>" in domain.policy


def test_each_side_calls_only_its_own_tools(telecom) -> None:
    ep = _dual(telecom)
    try:
        assert ep.call("toggle_roaming", {}).error_code == "unknown_tool"  # a user tool, for the agent
        assert ep.call("set_data_usage", {**TARGET, "data_used_gb": 99}).error_code == "unknown_tool"
        assert (
            ep.user_call("enable_roaming", TARGET).error_code == "unknown_tool"
        )  # an agent tool, for the user
        assert ep.user_call("unseat_sim_card").error_code == "unknown_tool"  # setup only
        before = ep.state_hash()
        assert ep.user_call("grant_app_permission", {"app": "x"}).error_code == "invalid_arguments"
        assert ep.state_hash() == before  # a failed call keeps the state
        got = ep.call("get_customer_by_phone", {"phone_number": "555-0100"})
        assert got.ok and got.content["line_ids"] == ["L1"]
    finally:
        ep.close()


def test_roaming_abroad_needs_both_sides_and_sync_carries_the_line_to_the_phone(telecom) -> None:
    ep = _dual(telecom, 0)  # abroad, roaming off on the phone and on the line
    try:
        assert not ep.assertion(
            {
                "env_type": "user",
                "func_name": "assert_mobile_data_status",
                "arguments": {"expected_status": True},
            }
        )
        assert ep.user_call("toggle_roaming").ok  # the phone alone is not enough: the line does not allow it
        assert not ep.device._mobile_data_working() and ep.device.s["roaming_allowed"] is False
        assert ep.call("enable_roaming", TARGET).ok
        assert ep.device.s["roaming_allowed"] is True  # synced from the agent's write
        assert ep.device._mobile_data_working()
        assert "Excellent" in ep.user_call("run_speed_test").content
    finally:
        ep.close()


def test_overdue_bill_setup_payment_request_and_payment_reach_the_agent_side(telecom) -> None:
    ep = _dual(telecom, 2)
    try:
        line = ep.call("get_details_by_id", {"id": "L1"}).content
        assert line["status"] == "Suspended" and ep.device.d["network_connection_status"] == "no_service"
        bill = ep.call("get_details_by_id", {"id": "B9"}).content
        assert bill["status"] == "Overdue" and bill["total_due"] == 40.0
        assert ep.user_call("check_payment_request").content == "No payment request has been made."
        assert ep.call("send_payment_request", {"customer_id": "C1", "bill_id": "B9"}).ok
        assert "bill B9 of 40.0 USD" in ep.user_call("check_payment_request").content
        assert ep.user_call("make_payment").ok
        assert ep.call("get_details_by_id", {"id": "B9"}).content["status"] == "Paid"
        no_overdue = {
            "env_type": "assistant",
            "func_name": "assert_no_overdue_bill",
            "arguments": {"overdue_bill_id": "B9"},
        }
        assert ep.assertion(no_overdue)
        assert ep.call("resume_line", TARGET).ok
        service = {
            "env_type": "user",
            "func_name": "assert_service_status",
            "arguments": {"expected_status": "connected"},
        }
        assert not ep.assertion(service)  # the phone finds the network only after a reboot
        ep.user_call("reboot_device")
        assert ep.assertion(service)
    finally:
        ep.close()


def test_state_hash_covers_the_phone_and_setup_refuses_unknown_functions(telecom) -> None:
    ep = _dual(telecom)
    try:
        before = ep.state_hash()
        ep.user_call("toggle_data_saver_mode")
        assert ep.state_hash() != before and ep.diff() == []  # only the phone changed
        ep.user_call("toggle_data_saver_mode")
        assert ep.state_hash() == before
        with pytest.raises(SetupError, match="no_such_function"):
            ep.setup(({"env_type": "user", "func_name": "no_such_function", "arguments": {}},))
    finally:
        ep.close()
