"""Arguments are coerced per schema; call signatures ignore key order, whitespace and defaults."""

from __future__ import annotations

from envscale.environments.validation.normalize import call_signature, normalize_arguments


def test_normalization_coerces_per_schema_and_ignores_order_and_whitespace():
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer"},
            "x": {"type": "number"},
            "flag": {"type": "boolean"},
            "ids": {"type": "array", "items": {"type": "integer"}},
            "mode": {"type": "string", "default": "fast"},
        },
    }
    assert normalize_arguments({"n": "5", "x": "2.50", "flag": "True", "ids": ["1", 2.0]}, schema) == {
        "n": 5,
        "x": 2.5,
        "flag": True,
        "ids": [1, 2],
        "mode": "fast",
    }
    assert call_signature("t", {"ids": [1], "n": 5.0}, schema) == call_signature(
        "t", {"n": 5, "ids": [1], "mode": "fast"}, schema
    )
    assert call_signature("t", {"n": 5}, schema) != call_signature("t", {"n": 6}, schema)
