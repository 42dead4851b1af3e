"""Values drawn for a JSON Schema: every rule honoured, patterns matched, meaning followed, ranges ordered."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from envscale.environments.values import kind_of, order_ranges, pattern_string, semantic_text, value_for
from tests.support.schema_rules import RULE_SCHEMAS

SEEDS = range(200)


@pytest.mark.parametrize("rule", sorted(RULE_SCHEMAS))
def test_generated_values_honour_every_schema_rule(rule):
    schema = RULE_SCHEMAS[rule]
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for seed in SEEDS:
        value = value_for("field", schema, random.Random(seed))
        errors = [e.message for e in validator.iter_errors(value)]
        assert not errors, (rule, seed, value, errors)


def test_pattern_strings_fullmatch_anchored_patterns():
    for pattern in (r"^#W\d{7}$", r"^[A-Z]{3}\d{3}$", r"^(\+1-)?\d{3}-\d{4}$", r"^[a-z]{2,5}(_[a-z]{2,5})*$"):
        compiled = re.compile(pattern)
        for seed in range(100):
            s = pattern_string(pattern, random.Random(seed))
            assert s is not None and compiled.fullmatch(s.rstrip("\n")), (pattern, s)


def test_values_follow_the_field_meaning():
    rng = random.Random(5)
    name = value_for("customer_name", {"type": "string"}, rng)
    assert len(name.split()) >= 2 and name.replace(" ", "").replace(".", "").replace("-", "").isalpha()
    assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", value_for("email", {"type": "string"}, rng))
    assert re.fullmatch(r"\+1-\d{3}-\d{3}-\d{4}", value_for("phone_number", {"type": "string"}, rng))
    note = value_for("notes", {"type": "string"}, rng)
    assert note.endswith(".") and len(note.split()) >= 5  # a sentence, not 'note become'
    assert 1 <= value_for("quantity", {"type": "integer"}, rng) <= 5


def test_times_fall_in_business_hours():
    for seed in SEEDS:
        t = value_for("appointment_time", {"type": "string"}, random.Random(seed))
        hh, mm = map(int, t.split(":"))
        assert 8 <= hh < 18 and mm in (0, 30), t


def test_ranges_are_ordered_check_out_one_to_fourteen_days_after_check_in():
    schema = {
        "type": "object",
        "properties": {
            "check_in_date": {"type": "string", "format": "date"},
            "check_out_date": {"type": "string", "format": "date"},
            "start_time": {"type": "string"},
            "end_time": {"type": "string"},
        },
        "required": ["check_in_date", "check_out_date", "start_time", "end_time"],
    }
    for seed in SEEDS:
        v = value_for("stay", schema, random.Random(seed))
        days = (dt.date.fromisoformat(v["check_out_date"]) - dt.date.fromisoformat(v["check_in_date"])).days
        assert 1 <= days <= 14, v
        assert v["end_time"] > v["start_time"], v
    flipped = {"start_date": "2024-06-10", "end_date": "2024-06-01", "from_city": "Oslo", "to_city": "Rome"}
    order_ranges(flipped, random.Random(0))
    assert flipped["end_date"] > flipped["start_date"] and flipped["to_city"] == "Rome"


# -- public tool sets' fields (issue 15 item 3) --


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
        ("artist", "name"),  # people named by their role in a work
        ("directed_by", "name"),
        ("album", "work"),  # works with a title
        ("game_title", "work"),
        ("host", "hostname"),
        ("version", "version"),
        ("target_timezone", "timezone"),
        ("folder", "path"),
        ("month", "month"),
        ("locale", "locale"),
        ("country_code", "country_code"),
        ("nickname", "username"),
        ("units", "units"),
        ("q", "topic"),
        ("lat", "latitude"),
        ("long", "longitude"),
        ("unit_id", None),
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


def test_counts_are_whole_even_when_the_schema_says_number():
    rng = random.Random(1)
    for _ in range(30):
        page, limit = value_for("page", {"type": "number"}, rng), value_for("limit", {"type": "number"}, rng)
        assert float(page).is_integer() and 1 <= page <= 5
        assert float(limit).is_integer() and 5 <= limit <= 50
        assert 15 <= value_for("century", {"type": "integer"}, rng) <= 21
        ratio = value_for("ratio", {"type": "number", "minimum": 0, "maximum": 1}, rng)
        assert 0 <= ratio <= 1  # not a count: fractions stay


def test_numbered_fields_read_like_their_word():
    assert kind_of("team1") == kind_of("team2") == "team"


@pytest.mark.parametrize(
    ("description", "examples"),
    [
        ("The gaming platform (e.g. 'PC', 'Xbox', 'Playstation'). Default ''", {"PC", "Xbox", "Playstation"}),
        (
            "Preferred room, e.g. king size, queen size, deluxe, suite etc.",
            {"king size", "queen size", "deluxe"},
        ),
        ("The departure city, in the format 'City, State' (e.g., 'New York, NY').", {"New York, NY"}),
        ("Hashtag name. For example: **summer**", {"summer"}),
        ("A timestamp such as '2023-04-01T", None),  # cut off: no example
        ("The name of the drug.", None),
    ],
)
def test_free_text_takes_the_examples_its_description_gives(description, examples):
    from envscale.environments.values import described_example

    drawn = {described_example(description, random.Random(seed)) for seed in range(30)}
    assert drawn == ({None} if examples is None else examples)
    if examples:  # and a field without meaning in its name uses them
        assert value_for("kind", {"type": "string", "description": description}, random.Random(0)) in examples


def test_technical_fields_have_their_shape():
    rng = random.Random(3)
    assert re.fullmatch(r"\d+\.\d+\.\d+", semantic_text("version", rng))
    assert "/" in semantic_text("target_timezone", rng) and semantic_text("path", rng).startswith("/")
    assert "." in semantic_text("host", rng) and semantic_text("units", rng) in ("metric", "imperial")
    title = semantic_text("album", rng)
    assert title == title.title() and 2 <= len(title.split()) <= 3
