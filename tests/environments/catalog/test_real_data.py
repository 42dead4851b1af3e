"""Ingest the real catalogs in ../shared/data and pin what comes out.

The counts were computed once with this code and are pinned; the comments say how they arise.
"""

from __future__ import annotations

from collections import Counter

import pytest

from envscale.environments.catalog.ingest import ingest_paths
from envscale.environments.catalog.schema import schema_error

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


def _by(result, namespace, original):
    return next(t for t in result.tools if t.namespace == namespace and t.original_name == original)


def test_bfcl(shared_data) -> None:
    data = shared_data / "bfcl" / "data"
    result = ingest_paths([*sorted(data.glob("*.json")), data / "multi_turn_func_doc"])
    # 20 question files + 12 func docs. 8,888 function entries: 8,725 in question-file `function`
    # lists (the same function recurs across records) and 163 in the func docs.
    assert len(result.sources) == 32
    assert sum(s.entries for s in result.sources) == 8_888
    # 5,471 entries are exact repeats and merge; 3,416 distinct tools remain; 1 is rejected:
    # BFCL_v4_simple_javascript line 24 declares a property with type "" (not a JSON Schema type).
    assert len(result.tools) == 3_416
    assert result.n_merged == 5_471
    reasons = Counter(r.reason_code for r in result.rejections)
    # 6 question files carry no `function` lists (multi-turn x4, memory, web_search take their tools
    # from the func docs) and BFCL_v4_format_sensitivity.json is an id index, not tools.
    assert reasons == {"no_tools": 6, "unknown_format": 1, "invalid_schema": 1}
    (bad,) = [r for r in result.rejections if r.reason_code == "invalid_schema"]
    assert (
        bad.source.file.endswith("BFCL_v4_simple_javascript.json")
        and bad.source.pointer == "line:24#/function/0"
    )
    assert "properties/options/properties/issuer/type" in bad.reason
    # names are unique; many BFCL functions recur with edited descriptions under one name
    assert len({t.name.lower() for t in result.tools}) == 3_416
    assert all(schema_error(t.parameters) is None for t in result.tools[:500])

    # first seen in BFCL_v4_multiple.json (files are read in sorted order), where base/height are 'float'
    t = next(t for t in result.tools if t.original_name == "calculate_triangle_area")
    assert t.name == "calculate_triangle_area"
    assert t.description == "Calculate the area of a triangle given its base and height."
    assert t.parameters == {
        "type": "object",
        "properties": {
            "base": {"type": "number", "description": "The base of the triangle."},
            "height": {"type": "number", "description": "The height of the triangle."},
            "unit": {
                "type": "string",
                "description": "The unit of measure (defaults to 'units' if not specified)",
            },
        },
        "required": ["base", "height"],
    }
    assert [(s.file.rsplit("/", 1)[-1], s.pointer) for s in t.sources] == [
        ("BFCL_v4_multiple.json", "line:136#/function/1")
    ]
    assert t.categories == ("multiple",)
    assert (t.kind, t.kind_reason, t.source_format) == ("read", "name verb 'calculate'", "bfcl")
    assert t.returns is None

    a = _by(result, "math_api", "absolute_value")
    assert a.sources[0].pointer == "line:1" and a.sources[0].file.endswith(
        "multi_turn_func_doc/math_api.json"
    )
    assert a.parameters["properties"]["number"]["type"] == "number"  # BFCL 'float'
    assert a.returns == {
        "type": "object",
        "properties": {"result": {"type": "number", "description": "The absolute value of the number."}},
    }
    assert a.kind == "unknown"


def test_stabletoolbench(shared_data) -> None:
    result = ingest_paths([shared_data / "stabletoolbench"])
    # 4,070 api_list entries over the 6 query files list 2,490 (category, tool, api) endpoints.
    # 11 (tool, api) pairs are listed under two categories: 5 identical (merged, both categories kept),
    # 6 differing (kept apart, the later one renamed). So 2,485 tools, 1,585 merged entries.
    assert sum(s.entries for s in result.sources) == 4_070
    assert len(result.tools) == 2_485 and result.n_merged == 1_585
    assert len({c for t in result.tools for c in t.categories}) == 47
    assert sum(len(t.categories) == 2 for t in result.tools) == 5
    # the 6 test_query_ids files are {query_id: 0} maps, not tools; LICENSE is skipped (not JSON/YAML)
    assert Counter(r.reason_code for r in result.rejections) == {"unknown_format": 6}
    assert len(result.files_skipped) == 1
    assert {t.kind for t in result.tools} == {"read"}  # every endpoint is GET

    t = _by(result, "suivi-colis", "Latest")
    assert t.name == "Latest_for_suivi-colis"
    assert t.description == "L'état courant (ie. le dernier état du colis)."
    assert t.categories == ("Logistics",)
    assert t.parameters == {
        "type": "object",
        "properties": {"colisId": {"type": "string", "default": "CA107308006SI"}},
        "required": ["colisId"],
    }
    assert t.returns["properties"]["country"] == {
        "type": "object",
        "properties": {"code": {"type": "string"}, "iso": {"type": "string"}, "name": {"type": "string"}},
    }
    assert (t.kind, t.kind_reason, t.source_format) == ("read", "HTTP method GET", "toolbench")
    assert [s.pointer for s in t.sources][:2] == ["/0/api_list/1", "/1/api_list/1"]
    assert len(t.sources) == 6


def test_taubench(shared_data) -> None:
    result = ingest_paths([shared_data / "tau-bench" / "derived" / "taubench_v1_tools_and_tasks.json"])
    # 14 airline + 16 retail tools; `calculate` and `transfer_to_human_agents` are identical in both
    # domains and merge; `think` and `get_user_details` differ, so retail's get a domain prefix.
    assert len(result.tools) == 28 and result.n_merged == 2 and not result.rejections
    names = {t.name for t in result.tools}
    assert {"think", "retail_think", "get_user_details", "retail_get_user_details"} <= names
    kinds = Counter(t.kind for t in result.tools)
    assert kinds == {"read": 14, "write": 14}

    t = next(t for t in result.tools if t.name == "cancel_pending_order")
    assert (t.kind, t.kind_reason, t.categories, t.namespace) == (
        "write",
        "name verb 'cancel'",
        ("retail",),
        "retail",
    )
    assert t.parameters["required"] == ["order_id", "reason"]
    assert t.parameters["properties"]["reason"]["enum"] == ["no longer needed", "ordered by mistake"]
    assert t.sources[0].pointer == "/tools/retail/1/function"
    calc = next(t for t in result.tools if t.name == "calculate")
    assert calc.categories == ("airline", "retail") and len(calc.sources) == 2
