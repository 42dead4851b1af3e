"""detect: a JSON value's format from its shape alone; the first confident guess over the first few documents."""

from __future__ import annotations

import pytest

from envscale.environments.catalog.detect import detect, detect_value

_FN = {"name": "f", "description": "F.", "parameters": {"type": "object"}}


@pytest.mark.parametrize(
    ("value", "fmt"),
    [
        ({"openapi": "3.0.0", "paths": {}}, "openapi"),
        ({"swagger": "2.0"}, "openapi"),
        ({"result": {"tools": []}}, "mcp"),
        ({"tools": [{"name": "f", "inputSchema": {}}]}, "mcp"),
        ({"name": "f", "inputSchema": {}}, "mcp"),
        ({"tools": {"retail": [_FN]}}, "taubench"),
        ({"tools": []}, "openai"),
        ({"functions": [_FN]}, "openai"),
        ({"type": "function", "function": _FN}, "openai"),
        (_FN, "openai"),
        ([_FN, _FN], "openai"),
        ({"api_list": []}, "toolbench"),
        ({"tool_name": "t", "api_name": "a"}, "toolbench"),
        ({"id": "q1", "question": [], "function": [_FN]}, "bfcl"),
        ({"id": "q1", "question": []}, "bfcl"),
        ({**_FN, "parameters": {"type": "dict"}}, "bfcl"),
        ({**_FN, "response": {}}, "bfcl"),
        ({"hello": "world"}, None),
        ("text", None),
    ],
)
def test_detect_value(value, fmt):
    assert detect_value(value) == fmt


def test_detect_takes_the_first_confident_guess_among_the_first_eight():
    assert detect([{"x": 1}, "junk", {"swagger": "2.0"}, _FN]) == "openapi"
    assert detect([{"x": 1}] * 8 + [_FN]) is None  # the ninth document is not looked at
    assert detect([]) is None
