"""Values for the fields public tool sets ask for read as a person would say them (issue 15 item 3)."""

from __future__ import annotations

import random

import pytest

from envscale.environments.values import kind_of, semantic_text, value_for


@pytest.mark.parametrize(
    ("field", "kind"),
    [
        ("player_name", "name"),
        ("location", "city"),
        ("destination", "city"),
        ("topic", "topic"),
        ("search_query", "topic"),
        ("food_type", "cuisine"),
        ("dietary_restriction", "diet"),
        ("stock_symbol", "ticker"),
        ("league", "league"),
        ("team_name", "team"),
        ("subject", "title"),  # an email's or a ticket's subject stays a title
        ("location_id", None),  # an id is not a place
        ("team_size", None),
    ],
)
def test_public_api_fields_get_their_meaning(field, kind):
    assert kind_of(field) == kind


def test_numbers_fall_in_the_fields_everyday_range():
    rng = random.Random(0)
    number = {"type": "number"}
    for _ in range(50):
        assert 1 <= value_for("annual_interest_rate", number, rng) <= 12
        assert 100 <= value_for("principal", number, rng) <= 10000
        assert 1 <= value_for("time_in_years", {"type": "integer"}, rng) <= 30
        assert 2015 <= value_for("year", {"type": "integer"}, rng) <= 2026


def test_listed_kinds_are_drawn_from_their_lists_and_reproducible():
    first = [semantic_text("cuisine", random.Random(seed)) for seed in range(20)]
    again = [semantic_text("cuisine", random.Random(seed)) for seed in range(20)]
    assert first == again and len(set(first)) > 3
    assert all(v[0].isupper() or v == "vegan" for v in first)
