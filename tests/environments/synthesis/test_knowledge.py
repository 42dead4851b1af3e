"""What a customer knows: their own facts and receipt numbers, never the system's internal ids."""

from __future__ import annotations

import pytest

from envscale.environments.synthesis.knowledge import action_of, entity, fact_kind, noun


@pytest.mark.parametrize(
    ("name", "table", "kind"),
    [
        ("email", None, "personal"),
        ("zip_code", None, "personal"),
        ("order_id", None, "receipt"),
        ("booking_number", None, "receipt"),
        ("customer_id", None, "account"),
        ("from_account_id", "accounts", "account"),
        ("product_id", None, "internal"),
        ("agent_id", None, "internal"),
        ("hold_id", "holds", "internal"),
        ("loan_id", "loans", "receipt"),
        ("new_date", None, "detail"),
        ("reason", None, "detail"),
        ("parcelTrackingId", None, "receipt"),  # camelCase, as public APIs spell it
        ("userId", None, "account"),
        ("id", None, "internal"),
        ("id", "container_tracking", "receipt"),  # the table it refers to decides
    ],
)
def test_fact_kinds(name, table, kind):
    assert fact_kind(name, table) == kind


def test_entities_and_nouns():
    assert entity("appointments") == "appointment"
    assert entity("categories") == "category"
    assert entity("order_id") == entity("orderId") == "order"
    assert noun("visit_notes") == "visit note"
    assert noun("recipe_searches") == "recipe search" and noun("addresses") == "address"
    assert action_of("cancel_order", "write") == "update"
    assert action_of("book_hotel", "write") == "create"
    assert action_of("get_order", "read") == "read"
    assert action_of("x", "write", "delete") == "delete"


def test_table_nouns_are_singular_as_schema_inference_forms_them():
    from envscale.environments.synthesis.knowledge import noun

    assert [noun(t) for t in ("courses", "buses", "smses", "visit_notes", "recipe_searches")] == [
        "course",
        "bus",
        "sms",
        "visit note",
        "recipe search",
    ]
