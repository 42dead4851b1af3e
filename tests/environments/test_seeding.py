"""Seeding: rows that load into the typed, keyed tables."""

from __future__ import annotations

import random

import pytest

from envscale.environments.builder import _memory_db
from envscale.environments.schema.model import Column, SchemaModel
from envscale.environments.seeding import fake_value, seed_rows

INT64_MAX = 2**63 - 1


def test_uint64_bounds_are_clamped_so_rows_load():
    """maximum 2**64-1 (uint64) used to overflow the int64 column and lose the whole domain."""
    schema = SchemaModel.model_validate(
        {
            "tables": [
                {
                    "name": "accounts",
                    "columns": [
                        {"name": "account_id", "type": "VARCHAR"},
                        {"name": "quota", "type": "BIGINT", "minimum": 0, "maximum": 18446744073709551615},
                        {"name": "floor", "type": "BIGINT", "minimum": -(2**70), "maximum": -(2**65)},
                    ],
                    "primary_key": ["account_id"],
                }
            ]
        }
    )
    rows = seed_rows(schema, 50, seed=1)
    assert all(0 <= r["quota"] <= INT64_MAX and r["floor"] >= -INT64_MAX for r in rows["accounts"])
    _memory_db(schema, rows).close()


def test_rounding_never_crosses_a_double_bound():
    col = Column(name="ratio", type="DOUBLE", minimum=0.001, maximum=0.004)
    rng = random.Random(0)
    assert all(0.001 <= fake_value(col, rng, None) <= 0.004 for _ in range(200))


ENROLLMENTS = {
    "tables": [
        {
            "name": "students",
            "columns": [{"name": "student_id", "type": "VARCHAR"}],
            "primary_key": ["student_id"],
        },
        {
            "name": "courses",
            "columns": [{"name": "course_id", "type": "VARCHAR"}],
            "primary_key": ["course_id"],
        },
        {
            "name": "enrollments",
            "columns": [
                {"name": "student_id", "type": "VARCHAR"},
                {"name": "course_id", "type": "VARCHAR"},
                {"name": "grade", "type": "VARCHAR"},
            ],
            "primary_key": ["student_id", "course_id"],
            "foreign_keys": [
                {"columns": ["student_id"], "ref_table": "students", "ref_columns": ["student_id"]},
                {"columns": ["course_id"], "ref_table": "courses", "ref_columns": ["course_id"]},
            ],
        },
    ]
}


@pytest.mark.parametrize("seed", range(10))
def test_composite_keys_are_distinct_and_load(seed):
    schema = SchemaModel.model_validate(ENROLLMENTS)
    rows = seed_rows(schema, 20, seed)
    keys = [(r["student_id"], r["course_id"]) for r in rows["enrollments"]]
    assert len(keys) == 20 and len(set(keys)) == 20
    _memory_db(schema, rows).close()  # raised a duplicate-key constraint error for some seeds


def test_composite_keys_are_capped_by_the_distinct_parent_combinations():
    from envscale.environments.seeding import _composite_keys

    enrollments = SchemaModel.model_validate(ENROLLMENTS).table("enrollments")
    done = {"students": [{"student_id": "s1"}], "courses": [{"course_id": "c1"}, {"course_id": "c2"}]}
    refs = {"student_id": ("students", "student_id"), "course_id": ("courses", "course_id")}
    keys = _composite_keys(enrollments, 10, random.Random(0), None, done, refs)
    assert sorted(keys) == [("s1", "c1"), ("s1", "c2")]  # 1 × 2 combinations, not 10 rows


def _stays_schema() -> SchemaModel:
    from envscale.environments.schema.infer import infer_schema

    tool = type(
        "T",
        (),
        {
            "name": "create_booking",
            "description": "",
            "kind": "write",
            "parameters": {
                "type": "object",
                "properties": {
                    "booking_id": {"type": "string", "pattern": "^BK[0-9]{6}$"},
                    "guest_name": {"type": "string"},
                    "guest_email": {"type": "string"},
                    "phone": {"type": "string"},
                    "check_in": {"type": "string", "format": "date"},
                    "check_out": {"type": "string", "format": "date"},
                    "arrival_time": {"type": "string"},
                    "special_requests": {"type": "string"},
                    "room_code": {"type": "string", "pattern": "^[A-D][0-9]{3}$", "maxLength": 4},
                },
                "required": ["booking_id", "guest_name", "check_in", "check_out"],
            },
        },
    )()
    return infer_schema([tool]).schema


@pytest.mark.parametrize("seed", range(5))
def test_seeded_rows_mean_what_their_columns_say(seed):
    import datetime as dt
    import re

    schema = _stays_schema()
    rows = seed_rows(schema, 40, seed)["bookings"]
    for r in rows:
        days = (dt.date.fromisoformat(r["check_out"]) - dt.date.fromisoformat(r["check_in"])).days
        assert 1 <= days <= 14, r  # check-out 1–14 days after check-in
        hh, mm = map(int, r["arrival_time"].split(":"))
        assert 8 <= hh < 18, r  # business hours
        assert re.fullmatch(r"BK[0-9]{6}", r["booking_id"]) and re.fullmatch(r"[A-D][0-9]{3}", r["room_code"])
        assert "@" in r["guest_email"] and len(r["guest_name"].split()) >= 2
        assert r["special_requests"].endswith(".")  # a sentence
    assert len({r["booking_id"] for r in rows}) == len(rows)
    _memory_db(schema, {"bookings": rows}).close()  # and they load


def test_seeding_is_deterministic_per_seed():
    schema = _stays_schema()
    assert seed_rows(schema, 10, 4) == seed_rows(schema, 10, 4)
    assert seed_rows(schema, 10, 4) != seed_rows(schema, 10, 5)


def test_seeded_numbers_are_drawn_like_arguments_within_the_columns_bounds():
    """A seeded year is a year and a page a small whole number: the same draw tools' arguments get."""
    columns = (
        Column(name="event_id", type="VARCHAR", nullable=False, format="key"),
        Column(name="year", type="BIGINT"),
        Column(name="page", type="DOUBLE"),
        Column(name="score", type="DOUBLE", minimum=0.5, maximum=0.75),
    )
    from envscale.environments.schema.model import Table

    schema = SchemaModel(
        tables=(Table(name="events", columns=columns, primary_key=("event_id",)),), origin="rules"
    )
    rows = seed_rows(schema, 50, 2)["events"]
    assert all(2015 <= r["year"] <= 2026 for r in rows)
    assert all(float(r["page"]).is_integer() and 1 <= r["page"] <= 5 for r in rows)
    assert all(0.5 <= r["score"] <= 0.75 for r in rows)


def test_a_bare_name_column_is_its_tables_kind_of_name():
    """A team's name is a team and a country's a country; a customer's name stays a person's."""
    from envscale.environments.schema.model import Table
    from envscale.environments.values import _WORDS

    def table(name: str) -> Table:
        key = Column(name=f"{name[:-1]}_id", type="VARCHAR", nullable=False, format="key")
        return Table(name=name, columns=(key, Column(name="name", type="VARCHAR")), primary_key=(key.name,))

    schema = SchemaModel(tables=(table("teams"), table("customers")), origin="rules")
    rows = seed_rows(schema, 30, 1)
    assert all(r["name"] in _WORDS["team"] for r in rows["teams"])
    assert all(len(r["name"].split()) >= 2 and r["name"] not in _WORDS["team"] for r in rows["customers"])
