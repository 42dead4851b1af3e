"""τ²-bench telecom, the user's side of dual control: the simulated user's phone and surroundings.

τ²'s user does not only talk: it acts on its own device with tools of its own (``user_tools.py``:
check the status bar, toggle airplane mode, reseat the SIM, ...) that the agent cannot call. The
device is a small simulation (a network search re-derives signal and technology from the SIM, the
mode preference, airplane mode, the APN and the line), not data access, so it is ported here as a
state machine over one JSON document (``UserDevice.state``) instead of SQL programs; its texts and
rules follow τ² 26.3 (``tau2/domains/telecom/user_tools.py``, ``user_data_model.py``).

Three kinds of functions, as in τ²: user *tools* (``USER_TOOLS``: offered to the simulated user),
*setup* functions that only a task's initialization may run (``unseat_sim_card``, ``break_vpn``,
...), and *assertions* (``assert_*``) that evaluation runs on the final state.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from envscale.errors import InputError
from envscale.hashing import content_hash

_SIGNALS = ("none", "poor", "fair", "good", "excellent")
_MODES = ("4g_5g_preferred", "4g_only", "3g_only", "2g_only")
_DEFAULT_APN = {
    "apn_name": "internet",
    "reset_at_reboot": False,
    "mms_apn": "mms",
    "mmsc_url": "http://mms.carrier.com/mms/wapenc",
    "mms_proxy": None,
    "mms_port": None,
}
_VPN = {"server_address": "192.168.1.1", "protocol": "OpenVPN", "server_performance": "excellent"}


def _apps() -> dict[str, Any]:
    perms = {"sms": False, "storage": False, "phone": False, "network": False}
    return {
        "messaging": {
            "app_name": "messaging",
            "permissions": perms | {"sms": True, "storage": True, "phone": True},
        },
        "browser": {"app_name": "browser", "permissions": perms | {"network": True, "storage": True}},
    }


def default_state() -> dict[str, Any]:
    """τ²'s ``TelecomUserDB()`` defaults (MockPhoneAttributes + UserSurroundings)."""
    return {
        "device": {
            "sim_card_status": "active",
            "sim_card_missing": False,
            "airplane_mode": False,
            "network_signal_strength": "good",
            "network_technology_connected": "5G",
            "network_connection_status": "connected",
            "battery_level": 80,
            "data_enabled": True,
            "roaming_enabled": False,
            "network_mode_preference": "4g_5g_preferred",
            "active_apn_settings": dict(_DEFAULT_APN),
            "wifi_enabled": False,
            "wifi_connected": False,
            "wifi_ssid": None,
            "wifi_signal_strength": "none",
            "wifi_calling_enabled": False,
            "wifi_calling_mms_over_wifi": False,
            "data_saver_mode": False,
            "vpn_enabled_setting": False,
            "vpn_connected": False,
            "vpn_details": None,
            "app_statuses": _apps(),
        },
        "surroundings": {
            "name": None,
            "phone_number": None,
            "is_abroad": False,
            "roaming_allowed": False,
            "signal_strength": {"2G": "poor", "3G": "fair", "4G": "good", "5G": "excellent"},
            "mobile_data_usage_exceeded": False,
            "line_active": True,
            "payment_request": None,
        },
    }


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        out[key] = (
            _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def load_user_state(folder: Path) -> dict[str, Any]:
    """The domain's ``user_db.toml`` over τ²'s defaults (defaults alone when the file is absent)."""
    path = Path(folder) / "user_db.toml"
    state = default_state()
    if path.is_file():
        state = _merge(state, tomllib.loads(path.read_text()))
    return state


def _switch_to(want: bool, toggle: Callable[[], bool]) -> None:
    """τ²'s way to set a switch: toggle it, and once more when that left it the wrong way (both
    toggles' side effects happen, as in τ²)."""
    if toggle() != want:
        toggle()


class DeviceError(InputError):
    """A device function that does not exist or was called wrongly (the user's call fails, state kept)."""


class UserDevice:
    """The user's phone and surroundings; every public method mirrors the τ² function of the same name."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = copy.deepcopy(state)

    @property
    def d(self) -> dict[str, Any]:
        return self.state["device"]

    @property
    def s(self) -> dict[str, Any]:
        return self.state["surroundings"]

    def state_hash(self) -> str:
        return content_hash(self.state)

    def run(self, name: str, arguments: dict[str, Any], *, allowed: frozenset[str]) -> Any:
        """Run one function of ``allowed`` (tools for the user, setup or assertions for the task)."""
        if name not in allowed or not hasattr(self, name):
            raise DeviceError(f"unknown device function {name!r}")
        try:
            return getattr(self, name)(**(arguments or {}))
        except TypeError as exc:
            raise DeviceError(f"{name}: {exc}") from exc

    # -- setup (initialization actions only) ------------------------------------
    def set_user_info(self, name: str, phone_number: str) -> None:
        self.s["name"], self.s["phone_number"] = name, phone_number

    def set_user_location(self, abroad: bool) -> None:
        self.s["is_abroad"] = abroad

    def turn_airplane_mode_on(self) -> str:
        _switch_to(True, self._toggle_airplane_mode)
        return "Airplane Mode is now ON."

    def turn_airplane_mode_off(self) -> str:
        _switch_to(False, self._toggle_airplane_mode)
        return "Airplane Mode is now OFF."

    def unseat_sim_card(self) -> str:
        self.d["sim_card_missing"] = True
        self.simulate_network_search()
        return "SIM card un-seated successfully."

    def lock_sim_card(self, mode: str) -> str:
        self.d["sim_card_status"] = {"pin": "locked_pin", "puk": "locked_puk"}.get(
            mode, self.d["sim_card_status"]
        )
        self.simulate_network_search()
        return f"SIM card locked successfully in {mode} mode."

    def turn_data_on(self) -> str:
        self.d["data_enabled"] = True
        return "Data connection restored."

    def turn_data_off(self) -> str:
        _switch_to(False, lambda: self._toggle("data_enabled", search=True))
        return "Data connection broken."

    def turn_roaming_on(self) -> str:
        _switch_to(True, lambda: self._toggle("roaming_enabled", search=True))
        return "Data Roaming is now ON."

    def turn_roaming_off(self) -> str:
        _switch_to(False, lambda: self._toggle("roaming_enabled", search=True))
        return "Data Roaming is now OFF."

    def turn_data_saver_mode_on(self) -> str:
        self.d["data_saver_mode"] = True
        return "Data Saver Mode is now ON."

    def turn_data_saver_mode_off(self) -> str:
        self.d["data_saver_mode"] = False
        return "Data Saver Mode is now OFF."

    def break_apn_settings(self) -> str:
        self.d["active_apn_settings"]["apn_name"] = "broken"
        self.simulate_network_search()
        return "APN settings broken. Please call reset_apn_settings() to fix."

    def break_apn_mms_setting(self) -> str:
        self.d["active_apn_settings"]["mmsc_url"] = None
        return "APN MMS setting broken. Please call reset_apn_settings() to fix."

    def set_wifi_calling(self, enabled: bool, mms_over_wifi: bool | None = None) -> str:
        self.d["wifi_calling_enabled"] = enabled
        msg = f"Wi-Fi Calling is now {'ON' if enabled else 'OFF'}."
        if mms_over_wifi is not None:
            self.d["wifi_calling_mms_over_wifi"] = mms_over_wifi
            msg += f"\nMMS over Wi-Fi is now {'ON' if mms_over_wifi else 'OFF'}."
        return msg

    def break_vpn(self) -> str:
        self._connect_vpn()
        self.d["vpn_details"]["server_performance"] = "poor"
        return "VPN connection broken."

    def remove_app_permission(self, app_name: str, permission: str) -> tuple[bool, str]:
        app = self.d["app_statuses"].get(app_name)
        if app is None:
            return False, f"App '{app_name}' not found. Cannot remove permission."
        permission = permission.lower()
        if permission not in app["permissions"]:
            return False, f"Permission '{permission}' not tracked for app '{app_name}'."
        app["permissions"][permission] = False
        return True, f"Permission '{permission}' removed from app '{app_name}'."

    # -- user tools: reads ------------------------------------------------------
    def check_status_bar(self) -> str:
        return f"Status Bar: {self._status_bar()}"

    def check_network_status(self) -> str:
        d = self.d
        yes = {True: "Yes", False: "No"}
        lines = [
            f"Airplane Mode: {'ON' if d['airplane_mode'] else 'OFF'}",
            f"SIM Card Status: {self._sim_status()}",
            f"Cellular Connection: {d['network_connection_status']}",
            f"Cellular Signal: {d['network_signal_strength']}",
            f"Cellular Network Type: {d['network_technology_connected']}",
            f"Mobile Data Enabled: {yes[d['data_enabled']]}",
            f"Data Roaming Enabled: {yes[d['roaming_enabled']]}",
            f"Wi-Fi Radio: {'ON' if d['wifi_enabled'] else 'OFF'}",
            f"Wi-Fi Connected: {yes[d['wifi_connected']]}",
        ]
        if d["wifi_connected"]:
            lines.append(f"Connected Wi-Fi Network: {d['wifi_ssid']}")
        return "\n".join(lines)

    def check_network_mode_preference(self) -> str:
        return f"Network Mode Preference: {self.d['network_mode_preference']}"

    def run_speed_test(self) -> str:
        speed, desc = self._speed()
        if speed is None:
            return f"Speed test failed: {desc or 'Could not determine speed'}."
        advice = {
            "Very Poor": "Connection is very slow. Basic web browsing might be difficult.",
            "Poor": "Connection is slow. Web browsing may be sluggish, streaming difficult.",
            "Fair": "Connection is okay for web browsing and some standard definition streaming.",
            "Good": "Connection is good for most activities, including HD streaming.",
            "Excellent": "Connection is very fast.",
        }.get(desc, "")
        return f"Speed Test Result: {speed:.2f} Mbps ({desc}). {advice}"

    def check_sim_status(self) -> str:
        return {
            "active": "Your SIM card is active and working.",
            "missing": "No SIM card detected in the phone.",
            "locked_pin": "The SIM card is locked with a PIN code.",
            "locked_puk": "The SIM card is locked with a PUK code.",
        }.get(self._sim_status(), f"Unknown SIM status: {self._sim_status()}")

    def check_data_restriction_status(self) -> str:
        on = self.d["data_saver_mode"]
        return "Data Saver mode is ON (limits data usage)." if on else "Data Saver mode is OFF."

    def check_apn_settings(self) -> str:
        apn = self.d["active_apn_settings"]
        return (
            f"Current APN Name: {apn['apn_name'] or 'Not Set'}\n"
            f"MMSC URL (for picture messages): {apn['mmsc_url'] or 'Not Set'}\n"
            "(These are technical settings, usually best left unchanged.)"
        )

    def check_wifi_status(self) -> str:
        d = self.d
        if not d["wifi_enabled"]:
            return "Wi-Fi is turned OFF."
        if d["wifi_connected"]:
            return f"Wi-Fi is ON and connected to '{d['wifi_ssid']}'. Signal strength: {d['wifi_signal_strength']}."
        return "Wi-Fi is ON but not connected to any network."

    def check_wifi_calling_status(self) -> str:
        return f"Wi-Fi Calling is currently turned {'ON' if self.d['wifi_calling_enabled'] else 'OFF'}."

    def check_vpn_status(self) -> str:
        d = self.d
        if d["vpn_connected"]:
            details = d["vpn_details"]
            return (
                f"VPN is ON and connected. Details: {details}"
                if details
                else "VPN is ON and connected (no specific details available)."
            )
        if d["vpn_enabled_setting"]:
            return "VPN is turned ON in settings, but currently not connected."
        return "VPN is turned OFF."

    def check_installed_apps(self) -> str:
        return f"The following apps are installed on the phone: {', '.join(self.d['app_statuses'])}"

    def check_app_status(self, app_name: str) -> str:
        app = self.d["app_statuses"].get(app_name)
        if app is None:
            return f"App '{app_name}' not found on this phone."
        lines = [f"Status for App: {app_name}"]
        granted = [p.replace("_", " ").lower() for p, ok in app["permissions"].items() if ok]
        if not granted:
            lines.append(" - Permissions: None granted.")
        else:
            lines.append(" - Permissions Granted:")
            lines.extend(f"   - {p}" for p in granted)
        return "\n".join(lines)

    def check_app_permissions(self, app_name: str) -> str:
        app = self.d["app_statuses"].get(app_name)
        if app is None:
            return f"App '{app_name}' not found on this phone."
        granted = [p.replace("_", " ").lower() for p, ok in app["permissions"].items() if ok]
        if not granted:
            return f"App '{app_name}' currently has no permissions granted."
        return f"App '{app_name}' has permission for: {', '.join(granted)}."

    def can_send_mms(self) -> str:
        ok = self._can_send_mms()
        return (
            "Your messaging app can send MMS messages."
            if ok
            else "Your messaging app cannot send MMS messages."
        )

    def check_payment_request(self) -> str:
        req = self.s["payment_request"]
        if req is None:
            return "No payment request has been made."
        return f"You have a payment request for bill {req['bill_id']} of {req['amount_due']} USD."

    # -- user tools: writes -----------------------------------------------------
    def set_network_mode_preference(self, mode: str) -> str:
        if mode not in _MODES:
            return (
                f"Failed to set network mode: '{mode}' is not a valid option. Please use one of:"
                f" {', '.join(_MODES)}\nStatus Bar: {self._status_bar()}"
            )
        self.d["network_mode_preference"] = mode
        self.simulate_network_search()
        return f"Preferred Network Mode set to: {mode}\nStatus Bar: {self._status_bar()}"

    def toggle_airplane_mode(self) -> str:
        return self._now("Airplane Mode", self._toggle_airplane_mode())

    def reseat_sim_card(self) -> str:
        self.d["sim_card_missing"] = False
        self.simulate_network_search()
        return f"SIM card re-seated successfully.\nStatus Bar: {self._status_bar()}"

    def toggle_data(self) -> str:
        return self._now("Mobile Data", self._toggle("data_enabled", search=True))

    def toggle_roaming(self) -> str:
        return self._now("Data Roaming", self._toggle("roaming_enabled", search=True))

    def toggle_data_saver_mode(self) -> str:
        return self._now("Data Saver Mode", self._toggle("data_saver_mode", search=False))

    def set_apn_settings(self, apn_settings: dict[str, Any]) -> str:
        if not isinstance(apn_settings, dict):
            raise DeviceError("set_apn_settings: apn_settings must be an object")
        unknown = sorted(set(apn_settings) - set(_DEFAULT_APN))
        if unknown or apn_settings.get("apn_name", "internet") not in ("internet", "broken"):
            raise DeviceError(f"set_apn_settings: invalid APN settings {apn_settings}")
        self.d["active_apn_settings"] = dict(_DEFAULT_APN) | apn_settings
        self.simulate_network_search()
        name = self.d["active_apn_settings"]["apn_name"]
        return f"APN settings set to: {name}\nStatus Bar: {self._status_bar()}"

    def reset_apn_settings(self) -> str:
        self.d["active_apn_settings"]["reset_at_reboot"] = True
        self.simulate_network_search()
        return f"APN settings will reset at reboot.\nStatus Bar: {self._status_bar()}"

    def toggle_wifi(self) -> str:
        if self.d["airplane_mode"]:
            return (
                f"Cannot change Wi-Fi settings while Airplane Mode is ON.\nStatus Bar: {self._status_bar()}"
            )
        on = not self.d["wifi_enabled"]
        self.d["wifi_enabled"] = on
        if not on:
            self._wifi_off()
        return self._now("Wi-Fi", on)

    def toggle_wifi_calling(self) -> str:
        return self._now("Wi-Fi Calling", self._toggle("wifi_calling_enabled", search=False))

    def connect_vpn(self) -> str:
        if self._connect_vpn() is None:
            return "VPN already connected."
        return f"VPN connected successfully.\nStatus Bar: {self._status_bar()}"

    def disconnect_vpn(self) -> str:
        done = self._disconnect_vpn()
        what = "VPN disconnected successfully." if done else "No active VPN connection to disconnect."
        return f"{what}\nStatus Bar: {self._status_bar()}"

    def grant_app_permission(self, app_name: str, permission: str) -> str:
        app = self.d["app_statuses"].get(app_name)
        permission = permission.lower()
        if app is None:
            ok, msg = False, f"App '{app_name}' not found. Cannot grant permission."
        elif permission not in app["permissions"]:
            ok, msg = (
                False,
                f"Permission '{permission}' not tracked for app '{app_name}', available permissions:"
                f" {list(app['permissions'])}",
            )
        else:
            app["permissions"][permission] = True
            ok, msg = True, f"Permission '{permission}' granted to app '{app_name}'."
        return f"{'Success. ' if ok else 'Error. '}{msg}\nStatus Bar: {self._status_bar()}"

    def reboot_device(self) -> str:
        lines = []
        if self.d["active_apn_settings"]["reset_at_reboot"]:
            lines.append("Resetting APN settings...")
            self.d["active_apn_settings"] = dict(_DEFAULT_APN)
        lines.append("Restarting network services...")
        self.d["network_connection_status"] = "searching"
        self.simulate_network_search()
        return "\n".join(lines) + f"\nStatus Bar: {self._status_bar()}"

    def make_payment(self) -> str:
        req = self.s["payment_request"]
        if req is None:
            return "You do not have a payment request."
        req["paid"] = True
        return f"Payment of {req['amount_due']} USD has been made for bill {req['bill_id']}."

    # -- assertions -----------------------------------------------------------------
    def assert_airplane_mode_status(self, expected_status: bool) -> bool:
        return self.d["airplane_mode"] == expected_status

    def assert_service_status(self, expected_status: str) -> bool:
        return self.d["network_connection_status"] == expected_status

    def assert_mobile_data_status(self, expected_status: bool) -> bool:
        return self._mobile_data_working() == expected_status

    def assert_mobile_roaming_status(self, expected_status: bool) -> bool:
        return self.d["roaming_enabled"] == expected_status

    def assert_mobile_data_saver_mode_status(self, expected_status: bool) -> bool:
        return self.d["data_saver_mode"] == expected_status

    def assert_internet_speed(self, expected_speed: float, expected_desc: str | None = None) -> bool:
        speed, desc = self._speed()
        speed = speed or 0.0
        if expected_desc is None:
            return speed >= expected_speed
        return speed >= expected_speed and (desc or "").lower() == expected_desc.lower()

    def assert_internet_not_excellent(self) -> bool:
        return (self._speed()[1] or "").lower() != "excellent"

    def assert_can_send_mms(self, expected_status: bool) -> bool:
        return self._can_send_mms() == expected_status

    def assert_mobile_data_usage_exceeded(self, expected_status: bool) -> bool:
        return self.s["mobile_data_usage_exceeded"] == expected_status

    # -- the simulation ---------------------------------------------------------------
    def simulate_network_search(self) -> None:
        d, sig = self.d, self.s["signal_strength"]
        if self._sim_status() == "active":
            d["network_connection_status"] = "connected"
            pref = d["network_mode_preference"]
            tech = {"4g_only": "4G", "3g_only": "3G", "2g_only": "2G"}.get(pref, "4G")
            if pref == "4g_5g_preferred" and sig.get("5G", "none") != "none":
                tech = "5G"
            d["network_technology_connected"] = tech
            d["network_signal_strength"] = sig.get(tech, "none")
        else:
            self._no_service()
        if (
            d["airplane_mode"]
            or d["active_apn_settings"]["apn_name"] == "broken"
            or not self.s["line_active"]
        ):
            self._no_service()

    def _no_service(self) -> None:
        self.d.update(
            network_connection_status="no_service",
            network_technology_connected="none",
            network_signal_strength="none",
        )

    def _wifi_off(self) -> None:
        self.d.update(wifi_connected=False, wifi_ssid=None, wifi_signal_strength="none")

    def _now(self, setting: str, on: bool) -> str:
        """A toggle's reply, worded as τ²'s: the setting's new state, then the status bar."""
        return f"{setting} is now {'ON' if on else 'OFF'}.\nStatus Bar: {self._status_bar()}"

    def _toggle(self, field: str, *, search: bool) -> bool:
        self.d[field] = not self.d[field]
        if search:
            self.simulate_network_search()
        return self.d[field]

    def _toggle_airplane_mode(self) -> bool:
        was_on = self.d["airplane_mode"]
        self.d["airplane_mode"] = not was_on
        if was_on:
            self.d["network_connection_status"] = "searching"
            if self.d["wifi_enabled"]:
                self._wifi_off()
        else:
            self._wifi_off()
            if self.d["vpn_connected"]:
                self._disconnect_vpn()
        self.simulate_network_search()
        return self.d["airplane_mode"]

    def _connect_vpn(self) -> bool | None:
        if self.d["vpn_connected"]:
            return None
        self.d["vpn_connected"] = True
        self.d["vpn_details"] = dict(_VPN)
        return True

    def _disconnect_vpn(self) -> bool:
        if not self.d["vpn_connected"]:
            return False
        self.d["vpn_connected"], self.d["vpn_details"] = False, None
        return True

    def _sim_status(self) -> str:
        return "missing" if self.d["sim_card_missing"] else self.d["sim_card_status"]

    def _mobile_data_working(self) -> bool:
        d, s = self.d, self.s
        if d["airplane_mode"] or d["network_signal_strength"] == "none":
            return False
        if d["network_connection_status"] == "no_service":
            return False
        if s["is_abroad"] and (not d["roaming_enabled"] or not s["roaming_allowed"]):
            return False
        return bool(d["data_enabled"]) and not s["mobile_data_usage_exceeded"]

    def _speed(self) -> tuple[float | None, str | None]:
        if not self._mobile_data_working():
            return None, "No Connection"
        d = self.d
        vpn = d["vpn_details"] or {}
        factor = 0.1 if d["vpn_connected"] and vpn.get("server_performance") == "poor" else 1.0
        if d["data_saver_mode"]:
            factor *= 0.2
        low, high = {"2G": (0.1, 0.4), "3G": (1.0, 5.0), "4G": (10.0, 100.0), "5G": (50.0, 500.0)}.get(
            d["network_technology_connected"], (0.0, 0.0)
        )
        signal = {"poor": 0.2, "fair": 0.5, "good": 0.8, "excellent": 1.0}.get(
            d["network_signal_strength"], 0.0
        )
        speed = round((low + high) / 2.0 * signal * factor, 2)
        for limit, desc in ((1, "Very Poor"), (5, "Poor"), (25, "Fair"), (100, "Good")):
            if speed < limit:
                return speed, desc
        return speed, "Excellent"

    def _can_send_mms(self) -> bool:
        d = self.d
        if not self._mobile_data_working() or d["network_technology_connected"] == "2G":
            return False
        if d["wifi_calling_enabled"] and d["wifi_calling_mms_over_wifi"]:
            return False
        if d["active_apn_settings"]["mmsc_url"] is None:
            return False
        app = d["app_statuses"].get("messaging")
        return bool(app and app["permissions"]["storage"] and app["permissions"]["sms"])

    def _status_bar(self) -> str:
        d = self.d
        parts: list[str] = []
        if d["airplane_mode"]:
            parts.append("✈️ Airplane Mode")
        else:
            bars = {
                "none": "📵 No Signal",
                "poor": "📶¹ Poor",
                "fair": "📶² Fair",
                "good": "📶³ Good",
                "excellent": "📶⁴ Excellent",
            }
            parts.append(bars.get(d["network_signal_strength"], "📵 No Signal"))
            tech = d["network_technology_connected"]
            if tech != "none":
                parts.append(tech)
            if d["data_enabled"] and tech != "none":
                parts.append("📱 Data Enabled")
                if d["data_saver_mode"]:
                    parts.append("🔽 Data Saver")
            else:
                parts.append("📵 Data Disabled")
        if d["wifi_enabled"] and d["wifi_connected"]:
            parts.append(f"📡 Connected to {d['wifi_ssid']}" if d["wifi_ssid"] else "📡 Enabled")
        if d["vpn_connected"]:
            parts.append("🔒 VPN Connected")
        parts.append(f"🔋 {d['battery_level']}%")
        return " | ".join(parts)


# What the simulated user may call (τ²'s @is_tool user tools), what only a task's setup may run.
USER_TOOLS: frozenset[str] = frozenset(
    [
        "check_status_bar",
        "check_network_status",
        "check_network_mode_preference",
        "set_network_mode_preference",
        "run_speed_test",
        "toggle_airplane_mode",
        "check_sim_status",
        "reseat_sim_card",
        "toggle_data",
        "toggle_roaming",
        "check_data_restriction_status",
        "toggle_data_saver_mode",
        "check_apn_settings",
        "set_apn_settings",
        "reset_apn_settings",
        "check_wifi_status",
        "toggle_wifi",
        "check_wifi_calling_status",
        "toggle_wifi_calling",
        "check_vpn_status",
        "connect_vpn",
        "disconnect_vpn",
        "check_installed_apps",
        "check_app_status",
        "check_app_permissions",
        "grant_app_permission",
        "can_send_mms",
        "reboot_device",
        "check_payment_request",
        "make_payment",
    ]
)
USER_WRITE_TOOLS: frozenset[str] = frozenset(
    n for n in USER_TOOLS if not n.startswith("check_") and n not in ("run_speed_test", "can_send_mms")
)
SETUP: frozenset[str] = (
    frozenset(
        [
            "set_user_info",
            "set_user_location",
            "turn_airplane_mode_on",
            "turn_airplane_mode_off",
            "unseat_sim_card",
            "lock_sim_card",
            "turn_data_on",
            "turn_data_off",
            "turn_roaming_on",
            "turn_roaming_off",
            "turn_data_saver_mode_on",
            "turn_data_saver_mode_off",
            "break_apn_settings",
            "break_apn_mms_setting",
            "set_wifi_calling",
            "break_vpn",
            "remove_app_permission",
            "simulate_network_search",
            "set_network_mode_preference",
        ]
    )
    | USER_TOOLS
)
ASSERTIONS: frozenset[str] = frozenset(n for n in dir(UserDevice) if n.startswith("assert_"))
