"""Persisting an ingest: idempotent re-ingest, a changed file updates only what changed, names stay stable."""

from __future__ import annotations

import json

import pytest

from envscale.environments.catalog.ingest import ingest_paths
from envscale.environments.catalog.store import load_catalog, load_rejections, persist_ingest
from envscale.warehouse import open_warehouse


def _fn(name, description="Do it.", props=None):
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": props or {"id": {"type": "string"}}},
        },
    }


@pytest.fixture
def wh(tmp_path):
    return open_warehouse(tmp_path / "wh.duckdb")


def _rows(wh, table):
    with wh.connect(read_only=True) as con:
        return con.execute(f"SELECT * FROM {table}").fetchall()


def test_reingest_same_sources_adds_nothing(wh, write) -> None:
    src = write("a.json", [_fn("get_a"), _fn("set_a"), {"bad": 1}])
    first = persist_ingest(wh, ingest_paths([src]), run_id="r1")
    assert (first.inserted, first.rejections_inserted) == (2, 1)
    before = _rows(wh, "tools")
    second = persist_ingest(wh, ingest_paths([src]), run_id="r2")
    assert (
        second.inserted,
        second.updated,
        second.removed,
        second.unchanged,
        second.rejections_inserted,
    ) == (0, 0, 0, 2, 0)
    assert _rows(wh, "tools") == before  # not even run_id or created_at changed
    assert len(_rows(wh, "rejected_tools")) == 1


def test_changed_file_updates_only_what_changed_and_keeps_names(wh, write) -> None:
    src = write("a.json", [_fn("get_a"), _fn("set_a"), _fn("del_a")])
    persist_ingest(wh, ingest_paths([src]), run_id="r1")
    ids = {t.name: t.tool_id for t in load_catalog(wh)}
    # edit one description, drop one tool, add one
    write("a.json", [_fn("get_a"), _fn("set_a", "Set it, now with audit."), _fn("new_a")])
    summary = persist_ingest(wh, ingest_paths([src]), run_id="r2")
    assert (summary.inserted, summary.removed, summary.unchanged) == (2, 2, 1)
    catalog = {t.name: t for t in load_catalog(wh)}
    assert set(catalog) == {"get_a", "set_a", "new_a"}
    assert catalog["get_a"].tool_id == ids["get_a"]  # untouched row
    assert catalog["set_a"].tool_id != ids["set_a"]  # new content, same name
    assert catalog["set_a"].description == "Set it, now with audit."
    with wh.connect(read_only=True) as con:
        runs = dict(con.execute("SELECT name, run_id FROM tools").fetchall())
    assert runs == {"get_a": "r1", "set_a": "r2", "new_a": "r2"}


def test_names_stay_stable_when_a_new_tool_collides(wh, write) -> None:
    a = write("a.json", [_fn("get_order", "Retail order.")])
    persist_ingest(wh, ingest_paths([a]), run_id="r1")
    # a later ingest of another file brings a different get_order first in its own order
    b = write("b.json", [_fn("get_order", "Airline order.")])
    persist_ingest(wh, ingest_paths([b]), run_id="r2")
    catalog = {t.description: t.name for t in load_catalog(wh)}
    assert catalog["Retail order."] == "get_order"
    assert catalog["Airline order."].startswith("get_order_")
    # re-ingesting both together keeps the stored names
    persist_ingest(wh, ingest_paths([b, a]), run_id="r3")
    assert {t.description: t.name for t in load_catalog(wh)} == catalog


def test_tool_shared_by_two_files_keeps_the_other_reference(wh, write) -> None:
    a = write("a.json", [_fn("shared")])
    b = write("b.json", [_fn("shared")])
    persist_ingest(wh, ingest_paths([a, b]), run_id="r1")
    (t,) = load_catalog(wh)
    assert len(t.sources) == 2
    write("b.json", [_fn("other")])
    summary = persist_ingest(wh, ingest_paths([b]), run_id="r2")
    assert summary.updated == 1 and summary.removed == 0
    catalog = {t.name: t for t in load_catalog(wh)}
    assert [s.file.rsplit("/", 1)[-1] for s in catalog["shared"].sources] == ["a.json"]
    assert "other" in catalog


def test_fixed_rejection_is_cleared_and_corrupt_file_keeps_old_tools(wh, write) -> None:
    src = write("a.json", [_fn("ok"), {"function": {"description": "no name"}, "type": "function"}])
    persist_ingest(wh, ingest_paths([src]), run_id="r1")
    assert [r["reason_code"] for r in load_rejections(wh)] == ["missing_name"]
    write("a.json", [_fn("ok"), _fn("named")])
    summary = persist_ingest(wh, ingest_paths([src]), run_id="r2")
    assert summary.rejections_cleared == 1 and load_rejections(wh) == []
    # a truncated copy is rejected but does not wipe what the good copy gave
    src.write_text(json.dumps([_fn("ok")])[:-5])
    summary = persist_ingest(wh, ingest_paths([src]), run_id="r3")
    assert summary.removed == 0
    assert {t.name for t in load_catalog(wh)} == {"ok", "named"}
    assert [r["reason_code"] for r in load_rejections(wh)] == ["malformed_json"]


def test_stored_record_round_trips(wh, write) -> None:
    src = write("a.json", [_fn("get_a")])
    result = ingest_paths([src])
    persist_ingest(wh, result, run_id="r1")
    assert load_catalog(wh) == list(result.tools)
    with wh.connect(read_only=True) as con:
        row = con.execute(
            "SELECT name, kind, kind_reason, source_format, parameters, sources FROM tools"
        ).fetchone()
    assert row[:4] == ("get_a", "read", "name verb 'get'", "openai")
    assert json.loads(row[4]) == {"type": "object", "properties": {"id": {"type": "string"}}}
    assert json.loads(row[5])[0]["pointer"] == "/0/function"
