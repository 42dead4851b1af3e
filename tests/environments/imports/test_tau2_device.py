"""The user's phone of tau2 telecom: texts and rules as tau2 has them."""

from __future__ import annotations

from pathlib import Path

from envscale.environments.imports.tau2_device import UserDevice, load_user_state


def test_the_device_follows_tau2_texts_and_rules() -> None:
    dev = UserDevice(load_user_state(Path("/nonexistent")))  # τ²'s defaults
    dev.unseat_sim_card()
    assert dev.check_sim_status() == "No SIM card detected in the phone."
    assert dev.run_speed_test() == "Speed test failed: No Connection."
    dev.reseat_sim_card()
    assert dev.check_status_bar() == "Status Bar: 📶⁴ Excellent | 5G | 📱 Data Enabled | 🔋 80%"
    dev.set_network_mode_preference("2g_only")
    assert not dev._can_send_mms() and dev.d["network_signal_strength"] == "poor"
    dev.break_vpn()
    dev.set_network_mode_preference("4g_5g_preferred")
    assert dev.run_speed_test().startswith(
        "Speed Test Result: 27.50 Mbps (Good)"
    )  # 275 Mbps x 0.1 (poor VPN)
    assert "not a valid option" in dev.set_network_mode_preference("6g")
