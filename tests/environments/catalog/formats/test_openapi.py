"""OpenAPI 3.0 and Swagger 2.0 documents are normalized into ToolRecords, field by field."""

from __future__ import annotations

import json

from envscale.environments.catalog.ingest import ingest_paths
from tests.support.catalog import by_name

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


def test_yaml_dates_stay_strings_and_int_keys_become_strings(write) -> None:
    spec = OPENAPI_30.replace('version: "1"', "version: 2024-01-01")
    result = ingest_paths([write("dated.yml", spec)])
    assert len(result.tools) == 2
    json.dumps([t.model_dump() for t in result.tools])  # everything is JSON
