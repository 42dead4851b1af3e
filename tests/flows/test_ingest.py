"""The ingest flow under Prefect: warehouse rows, contract result, summary, failure modes."""

from __future__ import annotations

import json

import pytest

from envscale.environments.catalog.store import load_catalog
from envscale.flows.ingest import IngestFailed, ingest_tools
from envscale.warehouse import open_warehouse

pytestmark = pytest.mark.slow


def _fn(name, description="Do it."):
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": {"id": {"type": "string"}}},
        },
    }


def test_ingest_flow_sample_catalog_then_idempotent_rerun(home, prefect_harness, tmp_path) -> None:
    out = ingest_tools()  # default: the shipped sample catalog
    assert (out["accepted"], out["rejected"], out["inserted"], out["catalog_size"]) == (62, 0, 62, 62)
    assert out["contract_success"] is True
    wh = open_warehouse(home.warehouse)
    catalog = load_catalog(wh)
    assert len(catalog) == 62 and {t.kind for t in catalog} == {"read", "write"}
    with wh.connect(read_only=True) as con:
        run = con.execute("SELECT status, summary FROM runs WHERE run_id = ?", [out["run_id"]]).fetchone()
        contract = con.execute(
            "SELECT suite, subject, success, n_rows FROM contract_results WHERE run_id = ?", [out["run_id"]]
        ).fetchone()
        tool_runs = {r[0] for r in con.execute("SELECT DISTINCT run_id FROM tools").fetchall()}
    assert run[0] == "completed" and json.loads(run[1])["accepted"] == 62
    assert contract == ("tool_catalog", "catalog", True, 62)
    assert tool_runs == {out["run_id"]}

    again = ingest_tools()
    assert (again["inserted"], again["updated"], again["removed"], again["catalog_size"]) == (0, 0, 0, 62)
    assert wh.counts()["tools"] == 62

    # a second source with a bad entry: accepted and rejected rows land; strict fails after storing them
    src = tmp_path / "extra.json"
    src.write_text(
        json.dumps([_fn("archive_ticket"), {"type": "function", "function": {"description": "nameless"}}])
    )
    with pytest.raises(IngestFailed, match="strict"):
        ingest_tools(paths=[str(src)], strict=True)
    counts = wh.counts()
    assert counts["tools"] == 63 and counts["rejected_tools"] == 1
    with wh.connect(read_only=True) as con:
        status = con.execute("SELECT status, error FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
        reason = con.execute("SELECT reason_code, pointer FROM rejected_tools").fetchone()
    assert status[0] == "failed" and "strict" in status[1]
    assert reason == ("missing_name", "/1/function")


def test_ingest_flow_fails_when_nothing_is_accepted(home, prefect_harness, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"truncated": ')
    with pytest.raises(IngestFailed, match="no tool was accepted"):
        ingest_tools(paths=[str(bad)])
    wh = open_warehouse(home.warehouse)
    with wh.connect(read_only=True) as con:
        rows = con.execute("SELECT reason_code, source_file FROM rejected_tools").fetchall()
    assert rows == [("malformed_json", str(bad.resolve()))]


def test_nothing_accepted_says_why(tmp_path) -> None:
    from envscale.environments.catalog.ingest import ingest_paths
    from envscale.flows.ingest import nothing_accepted

    empty = tmp_path / "no-schemas"
    empty.mkdir()
    (empty / "notes.txt").write_text("hello")
    (empty / "readme.md").write_text("# hi")
    assert nothing_accepted(ingest_paths([empty])) == "no JSON/YAML files found (2 skipped)"

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.json").write_text('{"truncated": ')
    (bad / "b.json").write_text("[1, 2")
    (bad / "c.json").write_text(json.dumps([{"type": "function", "function": {"description": "nameless"}}]))
    message = nothing_accepted(ingest_paths([bad]))
    assert message.startswith("no tool was accepted from 3 file(s); top rejection reasons:")
    assert "malformed_json ×2, e.g. a.json:" in message
    assert "missing_name ×1, e.g. c.json#/0/function:" in message
    assert "rejected_tools" in message


def test_ingest_flow_on_a_folder_without_schemas(home, prefect_harness, tmp_path) -> None:
    folder = tmp_path / "notes"  # not tmp_path itself: the test's home lies there
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    with pytest.raises(IngestFailed, match=r"^no JSON/YAML files found \(1 skipped\)$"):
        ingest_tools(paths=[str(folder)])
