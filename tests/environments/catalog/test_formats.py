"""Each supported format is detected and normalized into ToolRecords, field by field."""

from __future__ import annotations

import json

import pytest

from envscale.environments.catalog.ingest import ingest_paths
from envscale.environments.catalog.records import ToolRecord


def by_name(result) -> dict[str, ToolRecord]:
    return {t.name: t for t in result.tools}


def test_openai_wrapped_bare_and_jsonl(write, fn) -> None:
    write("a.json", {"tools": [fn("get_order", props={"order_id": {"type": "string"}}), fn("cancel_order")]})
    write(
        "b.json",
        {
            "name": "lookup_zip",
            "description": "Find a zip code.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    )
    src = write("c.jsonl", [fn("create_user"), {"name": "ping", "description": "Ping."}])
    result = ingest_paths([src.parent])
    tools = by_name(result)
    assert set(tools) == {"get_order", "cancel_order", "lookup_zip", "create_user", "ping"}
    assert {s.format for s in result.sources} == {"openai"}
    t = tools["get_order"]
    assert t.kind == "read" and t.kind_reason == "name verb 'get'"
    assert t.parameters == {"type": "object", "properties": {"order_id": {"type": "string"}}}
    assert t.sources[0].pointer == "/tools/0/function"
    assert t.sources[0].file.endswith("a.json")
    assert tools["cancel_order"].kind == "write"
    assert tools["create_user"].sources[0].pointer == "line:1#/function"
    # a bare function without parameters takes no arguments
    assert tools["ping"].parameters == {"type": "object", "properties": {}}
    assert tools["ping"].sources[0].pointer == "line:2"
    assert not result.rejections


OPENAPI_30 = """
openapi: 3.0.3
info: {title: Pets, version: "1"}
paths:
  /pets/{pet_id}:
    parameters:
      - {name: pet_id, in: path, required: true, schema: {type: string}}
    get:
      operationId: getPet
      summary: Get a pet.
      tags: [pets]
      parameters:
        - {name: verbose, in: query, schema: {type: boolean}}
        - {name: X-Trace, in: header, schema: {type: string}}
        - {name: session, in: cookie, schema: {type: string}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
    put:
      summary: Replace a pet.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: "#/components/schemas/Pet"
      responses: {"204": {description: done}}
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        pet_id: {type: string}
        name: {type: string, nullable: true}
        age: {type: integer, minimum: 0, exclusiveMinimum: true}
        parent: {$ref: "#/components/schemas/Pet"}
"""


def test_openapi_30_refs_cycles_and_merged_parameters(write) -> None:
    src = write("pets.yaml", OPENAPI_30)
    result = ingest_paths([src])
    assert not result.rejections
    tools = by_name(result)
    get = tools["getPet"]
    assert get.kind == "read" and get.kind_reason == "HTTP method GET"
    assert get.categories == ("pets",) and get.namespace == "Pets"
    assert get.parameters["properties"].keys() == {"pet_id", "verbose", "X-Trace"}  # cookie left out
    assert get.parameters["required"] == ["pet_id"]
    assert get.sources[0].pointer == "/paths/~1pets~1{pet_id}/get"
    # the recursive Pet type is kept as $defs, nullable and boolean exclusiveMinimum are mapped
    assert get.returns["properties"]["parent"] == {"$ref": "#/$defs/Pet"}
    assert get.returns["$defs"]["Pet"]["properties"]["name"]["type"] == ["string", "null"]
    assert get.returns["properties"]["age"] == {"type": "integer", "exclusiveMinimum": 0}
    # no operationId: method + path; the body's properties are merged beside the path parameter
    put = tools["put_pets_pet_id"]
    assert put.kind == "write" and put.kind_reason == "HTTP method PUT"
    props = put.parameters["properties"]
    assert set(props) == {"pet_id", "body_pet_id", "name", "age", "parent"}
    assert set(put.parameters["required"]) == {"pet_id", "name"}
    assert props["parent"] == {"$ref": "#/$defs/Pet"} and "Pet" in put.parameters["$defs"]


def test_swagger_20_body_and_form_params(write) -> None:
    spec = {
        "swagger": "2.0",
        "info": {"title": "Store", "version": "1"},
        "paths": {
            "/orders": {
                "post": {
                    "operationId": "placeOrder",
                    "description": "Place an order.",
                    "parameters": [
                        {
                            "name": "body",
                            "in": "body",
                            "required": True,
                            "schema": {"$ref": "#/definitions/Order"},
                        },
                        {"name": "dry_run", "in": "query", "type": "boolean", "required": False},
                    ],
                    "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Order"}}},
                }
            },
            "/upload": {
                "post": {
                    "operationId": "upload",
                    "parameters": [{"name": "file", "in": "formData", "type": "file", "required": True}],
                    "responses": {},
                }
            },
        },
        "definitions": {
            "Order": {
                "type": "object",
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
                "required": ["sku"],
            }
        },
    }
    result = ingest_paths([write("store.json", spec)])
    tools = by_name(result)
    order = tools["placeOrder"]
    assert order.source_format == "openapi"
    assert order.parameters["properties"] == {
        "dry_run": {"type": "boolean"},
        "sku": {"type": "string"},
        "qty": {"type": "integer"},
    }
    assert order.parameters["required"] == ["sku"]
    assert order.returns["properties"]["qty"] == {"type": "integer"}
    assert tools["upload"].parameters["properties"]["file"] == {"type": "string", "format": "binary"}
    assert tools["upload"].description == "Upload (Store)."  # generated from name and namespace, and noted
    assert "description generated from the name (the source has none)" in tools["upload"].notes


def test_mcp_tools_list_with_annotations(write) -> None:
    rpc = {
        "jsonrpc": "2.0",
        "id": 3,
        "result": {
            "tools": [
                {
                    "name": "fetch_page",
                    "description": "Fetch.",
                    "inputSchema": {"type": "object", "properties": {"url": {"type": "string"}}},
                    "annotations": {"readOnlyHint": True},
                },
                {
                    "name": "get_then_delete",
                    "description": "Odd.",
                    "inputSchema": {"type": "object"},
                    "annotations": {"destructiveHint": True},
                },
                {
                    "name": "report",
                    "description": "Report.",
                    "inputSchema": {"type": "object"},
                    "outputSchema": {"type": "object", "properties": {"ok": {"type": "boolean"}}},
                },
            ]
        },
    }
    result = ingest_paths([write("mcp.json", rpc)])
    tools = by_name(result)
    assert result.sources[0].format == "mcp"
    assert (tools["fetch_page"].kind, tools["fetch_page"].kind_reason) == (
        "read",
        "MCP annotation readOnlyHint=true",
    )
    # the annotation beats the name's 'get'
    assert (tools["get_then_delete"].kind, tools["get_then_delete"].kind_reason) == (
        "write",
        "MCP annotation destructiveHint=true",
    )
    assert tools["report"].returns == {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    assert tools["report"].parameters == {"type": "object", "properties": {}}
    assert tools["report"].sources[0].pointer == "/result/tools/2"


def test_bfcl_question_file_types_and_merge(write) -> None:
    shared = {
        "name": "geo.distance",
        "description": "Distance between two points.",
        "parameters": {
            "type": "dict",
            "properties": {
                "a": {"type": "tuple", "items": {"type": "float"}},
                "b": {"type": "tuple", "items": [{"type": "float"}, {"type": "float"}]},
                "unit": {"type": "string", "enum": ["km", "mi"]},
                "extra": {"type": "any"},
                "opts": {"type": "HashMap", "description": "Java-typed."},
            },
            "required": ["a", "b"],
        },
    }
    src = write(
        "BFCL_v4_demo.json",
        [
            {"id": "simple_python_0", "question": [[{"role": "user", "content": "?"}]], "function": [shared]},
            {
                "id": "live_multiple_3-1-0",
                "question": [],
                "function": [shared, {**shared, "name": "geo.area"}],
            },
        ],
    )
    result = ingest_paths([src])
    tools = by_name(result)
    assert set(tools) == {"geo_distance", "geo_area"}
    t = tools["geo_distance"]
    assert t.original_name == "geo.distance" and t.source_format == "bfcl"
    assert t.parameters["properties"] == {
        "a": {"type": "array", "items": {"type": "number"}},
        "b": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}]},
        "unit": {"type": "string", "enum": ["km", "mi"]},
        "extra": {},
        "opts": {"type": "object", "description": "Java-typed."},
    }
    assert [s.pointer for s in t.sources] == ["/0/function/0", "/1/function/0"]
    assert t.categories == ("simple_python", "live_multiple")
    assert result.n_merged == 1
    assert "type 'dict' mapped to 'object'" in t.notes


def test_bfcl_func_doc_with_response(write) -> None:
    doc = {
        "name": "add",
        "description": "Add two numbers.",
        "parameters": {
            "type": "dict",
            "properties": {"a": {"type": "float"}, "b": {"type": "float"}},
            "required": ["a", "b"],
        },
        "response": {"type": "dict", "properties": {"result": {"type": "float"}}},
    }
    result = ingest_paths([write("multi_turn_func_doc/math_api.json", [doc])])
    (t,) = result.tools
    assert t.source_format == "bfcl" and t.namespace == "math_api"
    assert t.returns == {"type": "object", "properties": {"result": {"type": "number"}}}


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


def test_taubench_tool_info_with_explicit_kind(write, fn) -> None:
    info = {
        "tools": {
            "retail": [fn("get_order"), fn("think", description="Think.")],
            "airline": [fn("think", description="Think."), {**fn("notify"), "kind": "write"}],
        },
        "tasks": {"retail/test": [{"user_id": "u"}]},
    }
    result = ingest_paths([write("tau.json", info)])
    tools = by_name(result)
    assert result.sources[0].format == "taubench"
    assert set(tools) == {"get_order", "think", "notify"}
    assert tools["think"].categories == ("retail", "airline")  # identical in both domains: merged
    assert (tools["notify"].kind, tools["notify"].kind_reason) == ("write", "source field kind='write'")


def test_forced_format_and_unknown_format(write) -> None:
    src = write("odd.json", [{"name": "f", "description": "F.", "parameters": {"type": "object"}}])
    forced = ingest_paths([src], format="mcp")  # an MCP tool without inputSchema takes no arguments
    assert forced.sources[0].format == "mcp" and len(forced.tools) == 1
    with pytest.raises(ValueError, match="unknown format"):
        ingest_paths([src], format="nope")


def test_yaml_dates_stay_strings_and_int_keys_become_strings(write) -> None:
    spec = OPENAPI_30.replace('version: "1"', "version: 2024-01-01")
    result = ingest_paths([write("dated.yml", spec)])
    assert len(result.tools) == 2
    json.dumps([t.model_dump() for t in result.tools])  # everything is JSON
