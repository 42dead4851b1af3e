"""Arguments drawn from a tool's JSON schema."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from envscale.environments.arguments import value_for_schema
from envscale.environments.values import order_ranges, pattern_string, value_for

SEEDS = range(200)


def test_integer_bounds_are_clamped_to_bigint():
    rng = random.Random(0)
    spec = {"type": "integer", "minimum": 2**63, "maximum": 18446744073709551615}
    assert all(value_for_schema(spec, rng) <= 2**63 - 1 for _ in range(20))


def test_exclusive_bounds_are_respected():
    rng = random.Random(0)
    ints = [
        value_for_schema({"type": "integer", "exclusiveMinimum": 3, "exclusiveMaximum": 6}, rng)
        for _ in range(50)
    ]
    assert set(ints) <= {4, 5}
    nums = [
        value_for_schema({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.001}, rng)
        for _ in range(50)
    ]
    assert all(0 < x < 0.001 for x in nums)


def test_values_are_a_function_of_the_seed_not_of_today_or_earlier_draws():
    specs = [
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
        {"type": "string", "format": "email"},
        {"type": "string"},
    ]
    first = [value_for_schema(s, random.Random(7)) for s in specs]
    value_for_schema({"type": "string"}, random.Random(99))  # moves the shared faker on
    assert [value_for_schema(s, random.Random(7)) for s in specs] == first
    # dates sit around the seeding's fixed day (2024-05-15), whatever today is
    assert "2023-05-15" <= first[0] <= "2025-05-15" and "2023-05-15" <= first[1] <= "2025-05-16"


# Every JSON Schema rule a tool may declare, each checked by jsonschema itself (formats included).
RULE_SCHEMAS = {
    "pattern": {"type": "string", "pattern": r"^[A-Z]{2}-\d{4}$"},
    "pattern_unanchored": {"type": "string", "pattern": r"[0-9a-f]{8}"},
    "pattern_alternation": {"type": "string", "pattern": r"^(GET|POST|PUT)$"},
    "pattern_classes": {"type": "string", "pattern": r"^\w+@[a-z]+\.(com|org)$"},
    "pattern_negated": {"type": "string", "pattern": r"^[^,;]{3,6}$"},
    "pattern_with_lengths": {"type": "string", "pattern": r"^[a-z]+$", "minLength": 5, "maxLength": 8},
    "lengths": {"type": "string", "minLength": 12, "maxLength": 14},
    "max_length": {"type": "string", "maxLength": 3},
    "date": {"type": "string", "format": "date"},
    "date_time": {"type": "string", "format": "date-time"},
    "time": {"type": "string", "format": "time"},
    "email": {"type": "string", "format": "email"},
    "uri": {"type": "string", "format": "uri"},
    "uuid": {"type": "string", "format": "uuid"},
    "ipv4": {"type": "string", "format": "ipv4"},
    "enum": {"type": "string", "enum": ["small", "medium", "large"]},
    "const": {"const": "fixed"},
    "integer_bounds": {"type": "integer", "minimum": 10, "maximum": 12},
    "exclusive": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    "multiple_of": {"type": "integer", "multipleOf": 15, "minimum": 1, "maximum": 100},
    "multiple_of_float": {"type": "number", "multipleOf": 0.25, "minimum": 0, "maximum": 3},
    "negative_only": {"type": "integer", "maximum": -5},
    "array": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 2, "maxItems": 4},
    "array_unique": {
        "type": "array",
        "items": {"type": "string", "enum": ["a", "b", "c"]},
        "minItems": 3,
        "uniqueItems": True,
    },
    "nested_object": {
        "type": "object",
        "properties": {
            "address": {
                "type": "object",
                "properties": {
                    "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
                    "city": {"type": "string"},
                },
                "required": ["zip", "city"],
            },
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 10}, "minItems": 1},
        },
        "required": ["address", "tags"],
        "additionalProperties": False,
    },
    "min_properties": {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {}},
        "minProperties": 2,
    },
    "any_of": {"anyOf": [{"type": "null"}, {"type": "string", "pattern": "^x+$"}]},
    "all_of": {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
            {"properties": {"b": {"type": "string", "format": "date"}}, "required": ["b"]},
        ]
    },
    "type_list": {"type": ["null", "integer"], "minimum": 3, "maximum": 3},
}


@pytest.mark.parametrize("rule", sorted(RULE_SCHEMAS))
def test_generated_values_honour_every_schema_rule(rule):
    schema = RULE_SCHEMAS[rule]
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for seed in SEEDS:
        value = value_for("field", schema, random.Random(seed))
        errors = [e.message for e in validator.iter_errors(value)]
        assert not errors, (rule, seed, value, errors)


def test_the_tool_schema_as_a_whole_is_honoured_by_value_for_schema():
    tool = {"type": "object", "properties": dict(RULE_SCHEMAS), "required": sorted(RULE_SCHEMAS)}
    validator = Draft202012Validator(tool, format_checker=FormatChecker())
    for seed in range(50):
        value = value_for_schema(tool, random.Random(seed))
        assert not list(validator.iter_errors(value)), seed


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
