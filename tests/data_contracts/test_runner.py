from __future__ import annotations

import pandas as pd

from envscale.data_contracts.runner import run_contract, store_contract_result
from envscale.warehouse import open_warehouse


def _suite(gx):
    return [
        gx.expectations.ExpectColumnValuesToBeUnique(column="name"),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="name"),
        gx.expectations.ExpectColumnValuesToBeBetween(column="n", min_value=0, max_value=10),
    ]


def test_failures_name_the_expectation_and_the_rows(tmp_path):
    frame = pd.DataFrame({"name": ["a", "b", "b", None], "n": [1, 2, 30, 4]})
    result = run_contract("demo", frame, _suite, docs_dir=tmp_path / "docs")
    assert not result.success
    failed = {o.name: o.unexpected_rows for o in result.failed}
    assert failed == {
        "expect_column_values_to_be_unique:name": (1, 2),
        "expect_column_values_to_not_be_null:name": (3,),
        "expect_column_values_to_be_between:n": (2,),
    }
    assert result.failing_rows()[2] == [
        "expect_column_values_to_be_unique:name",
        "expect_column_values_to_be_between:n",
    ]
    assert result.docs_path and (tmp_path / "docs" / "index.html").exists()


def test_clean_frame_passes_and_is_stored(tmp_path):
    frame = pd.DataFrame({"name": ["a", "b"], "n": [1, 2]})
    result = run_contract("demo", frame, _suite)
    assert result.success and result.failed == ()
    wh = open_warehouse(tmp_path / "w.duckdb")
    store_contract_result(wh, "run-1", result, subject="env-x")
    with wh.connect(read_only=True) as con:
        assert con.execute("SELECT suite, subject, success, n_rows FROM contract_results").fetchall() == [
            ("demo", "env-x", True, 2)
        ]


def test_missing_column_is_a_failure_not_a_crash():
    result = run_contract("demo", pd.DataFrame({"other": [1]}), _suite)
    assert not result.success
    assert all(not o.success for o in result.outcomes)
