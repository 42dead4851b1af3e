"""Arguments drawn from a tool's JSON schema."""

from __future__ import annotations

import random

from envscale.environments.arguments import value_for_schema


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
