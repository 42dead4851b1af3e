"""Data Docs open styled without a network and name their run."""

from __future__ import annotations

import re

import pandas as pd

from envscale.data_contracts.runner import offline_docs, run_contract


def _expectations(gx):
    return [
        gx.expectations.ExpectColumnValuesToNotBeNull(column="a"),
        gx.expectations.ExpectColumnValuesToBeBetween(column="a", min_value=0, max_value=2),
    ]


REMOTE_ASSET = re.compile(r"<(link|script|img)\b[^>]*(href|src)=\"https?://", re.IGNORECASE)


def test_docs_are_self_contained_and_carry_the_run_name(tmp_path):
    docs = tmp_path / "docs"
    result = run_contract(
        "offline_suite", pd.DataFrame({"a": [1, 2, 3]}), _expectations, docs, run_name="wh-run-42"
    )
    assert not result.success and result.docs_path
    pages = list(docs.rglob("*.html"))
    assert len(pages) >= 3  # index, suite, validation
    for page in pages:
        html = page.read_text()
        assert not REMOTE_ASSET.search(html), page
        assert ".card-header {" in html and "envscale: offline styles" in html
        assert "__none__" not in html
    validation = next(p for p in pages if "validations" in p.parts)
    assert "wh-run-42" in validation.parts and "wh-run-42" in validation.read_text()
    # Running it again leaves already-converted pages alone (one stylesheet each).
    assert offline_docs(docs) == 0
    assert validation.read_text().count("envscale: offline styles") == 1


def test_default_run_name_is_the_suite_and_time(tmp_path):
    docs = tmp_path / "docs"
    run_contract("named_suite", pd.DataFrame({"a": [1]}), _expectations, docs)
    runs = [p.name for p in (docs / "validations" / "named_suite").iterdir()]
    assert len(runs) == 1 and re.fullmatch(r"named_suite-\d{8}T\d{6}Z", runs[0])
