"""Every JSON Schema rule a tool may declare, one schema each (the values and arguments tests draw values for them)."""

from __future__ import annotations

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
