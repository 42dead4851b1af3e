"""The tool_catalog Great Expectations suite passes on a good catalog and pins broken rows."""

from __future__ import annotations

import pytest

from envscale.data_contracts.runner import run_contract
from envscale.data_contracts.tool_catalog import SUITE, catalog_frame, expectations
from envscale.environments.catalog.ingest import ingest_paths
from envscale.samples import sample_catalog_path


@pytest.mark.slow
def test_tool_catalog_suite() -> None:
    frame = catalog_frame(ingest_paths([sample_catalog_path()]).tools)
    assert run_contract(SUITE, frame, expectations).success
    broken = frame.copy()
    broken.loc[3, "name"] = broken.loc[2, "name"]
    # differs only in case: catalog naming folds case, so the suite must too
    broken.loc[4, ["name", "name_folded"]] = [broken.loc[1, "name"].upper(), broken.loc[1, "name_folded"]]
    broken.loc[5, "parameters"] = '{"type": "string"}'
    broken.loc[7, "kind"] = "maybe"
    broken.loc[8, "description"] = ""
    broken.loc[9, "tool_id"] = broken.loc[10, "tool_id"]
    result = run_contract(SUITE, broken, expectations)
    assert not result.success
    failed = {o.name: o.unexpected_rows for o in result.failed}
    assert failed == {
        "expect_column_values_to_be_unique:name": (2, 3),
        "expect_column_values_to_be_unique:name_folded": (1, 4),
        "expect_column_values_to_match_json_schema:parameters": (5,),
        "expect_column_values_to_be_in_set:kind": (7,),
        "expect_column_value_lengths_to_be_between:description": (8,),
        "expect_column_values_to_be_unique:tool_id": (9, 10),
    }
