"""The ingest-format contract of docs/EXTENDING.md, checked for every registered format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envscale.environments.catalog.detect import detect
from envscale.environments.catalog.formats import FORMATS
from envscale.environments.catalog.ingest import ingest_paths

_PARAMS = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
# One minimal, valid document per format: a tool `get_weather(city)`.
EXAMPLES: dict[str, object] = {
    "openai": {
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Weather of a city.",
                    "parameters": _PARAMS,
                },
            }
        ]
    },
    "openapi": {
        "openapi": "3.0.0",
        "info": {"title": "weather", "version": "1"},
        "paths": {
            "/weather": {
                "get": {
                    "operationId": "get_weather",
                    "summary": "Weather of a city.",
                    "parameters": [
                        {"name": "city", "in": "query", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    },
    "mcp": {"tools": [{"name": "get_weather", "description": "Weather of a city.", "inputSchema": _PARAMS}]},
    "bfcl": {
        "id": "simple_0",
        "question": [[{"role": "user", "content": "weather in Paris?"}]],
        "function": [
            {
                "name": "get_weather",
                "description": "Weather of a city.",
                "parameters": {**_PARAMS, "type": "dict"},
            }
        ],
    },
    "toolbench": {
        "tool_name": "Weather",
        "tool_description": "Weather data.",
        "api_list": [
            {
                "api_name": "get_weather",
                "description": "Weather of a city.",
                "method": "GET",
                "required_parameters": [{"name": "city", "type": "STRING", "description": "City name."}],
                "optional_parameters": [],
            }
        ],
    },
    "taubench": {
        "tools": {
            "weather": [
                {
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "description": "Weather of a city.",
                        "parameters": _PARAMS,
                    },
                }
            ]
        }
    },
}


def test_every_registered_format_has_an_example() -> None:
    assert set(EXAMPLES) == set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_detect_names_the_format_and_ingest_keeps_the_parameters(fmt: str, tmp_path: Path) -> None:
    assert detect([EXAMPLES[fmt]]) == fmt
    path = tmp_path / f"{fmt}.json"
    path.write_text(json.dumps(EXAMPLES[fmt]))
    result = ingest_paths([path])
    assert result.rejections == [] or all(r.reason for r in result.rejections)
    tools = [t for t in result.tools if t.name.endswith("get_weather")]
    assert len(tools) == 1, [t.name for t in result.tools]
    assert "city" in tools[0].parameters.get("properties", {})


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_broken_entry_is_a_rejection_with_a_reason(fmt: str, tmp_path: Path) -> None:
    # The same document with the tool's name (OpenAPI: its parameter list) broken: never a crash, never a silent drop.
    doc = json.loads(json.dumps(EXAMPLES[fmt]))
    if fmt == "openapi":  # an operation is named by its path when operationId is missing
        doc["paths"]["/weather"]["get"]["parameters"] = [{"in": "query"}]
    text = json.dumps(doc).replace('"get_weather"', "42")
    path = tmp_path / f"{fmt}.json"
    path.write_text(text)
    result = ingest_paths([path])
    assert not [t for t in result.tools if t.name == "42"]
    assert result.rejections, f"{fmt}: a nameless tool vanished without a rejection"
    assert all(r.reason and r.reason_code for r in result.rejections)
