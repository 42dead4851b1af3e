"""ToolBench api_list documents are normalized into ToolRecords."""

from __future__ import annotations

from envscale.environments.catalog.ingest import ingest_paths


def test_toolbench_api_list(write) -> None:
    query = {
        "query": "Track my parcel",
        "api_list": [
            {
                "category_name": "Logistics",
                "tool_name": "parcel-track",
                "api_name": "Latest Status",
                "api_description": "Current status of a parcel.",
                "required_parameters": [
                    {"name": "parcel_id", "type": "STRING", "description": "Id.", "default": "X1"}
                ],
                "optional_parameters": [
                    {"name": "lang", "type": "ENUM", "description": "", "default": ""},
                    {"name": "since", "type": "DATE (YYYY-MM-DD)", "description": "From."},
                    {"name": "limit", "type": "NUMBER", "description": "Max events.", "default": 5},
                ],
                "method": "GET",
                "template_response": {"status": "str", "events": [{"at": "str", "code": "int"}]},
            }
        ],
    }
    result = ingest_paths([write("G1.json", [query])])
    (t,) = result.tools
    assert t.name == "Latest_Status_for_parcel-track" and t.original_name == "Latest Status"
    assert t.namespace == "parcel-track" and t.categories == ("Logistics",)
    assert (t.kind, t.kind_reason) == ("read", "HTTP method GET")
    assert t.parameters == {
        "type": "object",
        "properties": {
            "parcel_id": {"type": "string", "description": "Id.", "default": "X1"},
            "lang": {"type": "string"},
            "since": {"type": "string", "format": "date", "description": "From."},
            "limit": {"type": "number", "description": "Max events.", "default": 5},
        },
        "required": ["parcel_id"],
    }
    assert t.returns["properties"]["events"] == {
        "type": "array",
        "items": {"type": "object", "properties": {"at": {"type": "string"}, "code": {"type": "integer"}}},
    }
    assert t.sources[0].pointer == "/0/api_list/0"
