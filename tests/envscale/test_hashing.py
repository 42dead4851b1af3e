"""Content hashes: equal content hashes equally, whatever the key order; models and sets are hashable."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import BaseModel

from envscale.hashing import canonical_json, content_hash


class _Point(BaseModel):
    x: int
    y: int


def test_canonical_json_sorts_keys_and_drops_whitespace():
    assert canonical_json({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'
    assert canonical_json({"name": "café"}) == '{"name":"café"}'  # not escaped to \\u00e9


def test_key_order_does_not_change_the_hash_but_content_does():
    assert content_hash({"a": 1, "b": {"c": 2, "d": 3}}) == content_hash({"b": {"d": 3, "c": 2}, "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})
    assert len(content_hash({"a": 1})) == 16
    assert len(content_hash({"a": 1}, length=40)) == 40


def test_strings_and_bytes_hash_their_raw_bytes():
    expected = hashlib.sha256(b"hello").hexdigest()[:16]
    assert content_hash("hello") == expected
    assert content_hash(b"hello") == expected
    assert content_hash(["hello"]) != expected  # a list is hashed as JSON


def test_models_and_sets_hash_as_their_json_values():
    assert content_hash(_Point(x=1, y=2)) == content_hash({"x": 1, "y": 2})
    assert content_hash({"s": {3, 1, 2}}) == content_hash({"s": [1, 2, 3]})
    with pytest.raises(TypeError, match="not JSON-serializable for hashing: object"):
        content_hash({"o": object()})
