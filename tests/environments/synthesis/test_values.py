"""Which argument values a task must carry (not learned from an earlier result), and whether a text carries them."""

from __future__ import annotations

from envscale.environments.synthesis.records import Blueprint, GoldCall, UserFact
from envscale.environments.synthesis.values import mentioned_params, missing_values, required_values, scalars


def _blueprint(*calls, **over) -> Blueprint:
    gold = tuple(GoldCall(name=n, arguments=a, kind="read", ok=True, result=r) for n, a, r in calls)
    return Blueprint(blueprint_id="b", env_id="e", calls=gold, read_only=True, gold_state_hash="h", **over)


def test_scalars_walks_nested_values():
    assert list(scalars({"a": [1, {"b": "x"}], "c": None, "d": (2.5,)})) == [1, "x", 2.5]


def test_values_from_earlier_results_are_not_required():
    blueprint = _blueprint(
        ("find_customer", {"email": "ada@x.org", "notify": True}, [{"customer_id": "c1"}]),
        ("list_orders", {"customer_id": "C1"}, [{"order_id": "o1"}, {"order_id": "o2"}]),
        ("get_order", {"order_id": "o2", "quantity": 3}, {"order_id": "o2"}),
    )
    # c1 came from a single-row result; o2 from a many-row list, which does not determine it
    assert required_values(blueprint) == {"email": "ada@x.org", "order_id": "o2", "quantity": 3}


def test_a_goal_planned_blueprint_requires_its_facts():
    facts = (
        UserFact(name="order_id", value="o1", kind="receipt"),
        UserFact(name="order_id", value="o2", kind="receipt", goal=1),
    )
    blueprint = _blueprint(("get_order", {"order_id": "zzz"}, None), planner="goal", facts=facts)
    assert required_values(blueprint) == {"order_id": "o1", "order_id (2)": "o2"}


def test_missing_values_is_case_insensitive_and_reads_numbers_loosely():
    text = "Please move order O7 to 12 units at 3.50 each."
    assert missing_values(text, ["o7", 12.0, 3.5, "o8", 13]) == ["o8", 13]


def test_mentioned_params():
    assert mentioned_params("What is your Order ID and email?", ["order_id", "email", "zip_code"]) == [
        "order_id",
        "email",
    ]
    assert mentioned_params("which customer number?", ["customer_number", "customer_id"]) == [
        "customer_number",
        "customer_id",  # 'id' alone is not needed: 'customer' is asked about
    ]
