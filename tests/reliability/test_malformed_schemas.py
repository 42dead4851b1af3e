"""Malformed schemas: a generated corpus of broken files ingests without a crash, losing only what is broken.

Per file the rejected pointers must be exactly the broken entries (or '' for a file
that is broken as a whole) and the accepted pointers exactly the healthy entries:
a healthy entry next to a 10,000-deep bomb or a non-UTF-8 byte still ingests.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from envscale.environments.catalog.ingest import ingest_paths
from envscale.environments.catalog.reasons import REASONS
from envscale.environments.catalog.store import load_rejections, persist_ingest
from envscale.integrity import check_warehouse
from envscale.warehouse import open_warehouse
from tests.support.reliability.corpus import CATEGORIES, generate


def _ingest(tmp_path: Path, seed: int, per_category: int = 4):
    files = generate(seed, per_category)
    by_path = {str(f.write(tmp_path / "corpus").resolve()): f for f in files}
    return files, by_path, ingest_paths([tmp_path / "corpus"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_file_loses_exactly_its_broken_entries(tmp_path, seed):
    files, by_path, result = _ingest(tmp_path, seed)
    assert {f.category for f in files} == set(CATEGORIES)
    accepted: dict[str, set[str]] = defaultdict(set)
    rejected: dict[str, set[str]] = defaultdict(set)
    for tool in result.tools:
        for source in tool.sources:
            accepted[source.file].add(source.pointer)
    for r in result.rejections:
        rejected[r.source.file].add(r.source.pointer)
        assert r.reason_code in REASONS and r.reason.strip(), r
        assert len(r.reason) < 700 and (r.excerpt is None or len(r.excerpt) <= 301)
    assert set(rejected) <= set(by_path) and set(accepted) <= set(by_path)
    for path, f in by_path.items():
        assert rejected[path] == f.bad, (f.category, f.name)
        assert accepted[path] == f.good, (f.category, f.name)
    # one rejection per broken entry, never two
    assert len(result.rejections) == sum(len(f.bad) for f in files)
    assert len({t.name for t in result.tools}) == len(result.tools)  # duplicate names resolved, not lost


def test_reasons_name_the_problem(tmp_path):
    files, by_path, result = _ingest(tmp_path, 3, per_category=6)
    codes_by_category: dict[str, set[str]] = defaultdict(set)
    for r in result.rejections:
        codes_by_category[by_path[r.source.file].category].add(r.reason_code)
    assert codes_by_category["truncated_json"] == {"malformed_json"}
    assert codes_by_category["deep_nesting"] <= {"too_deep", "schema_too_deep"}
    assert "too_deep" in codes_by_category["deep_nesting"]
    assert codes_by_category["ref_cycles"] <= {"invalid_schema", "unresolved_ref"}
    assert codes_by_category["huge_strings"] <= {"description_too_long", "invalid_field"}
    assert codes_by_category["non_utf8"] == {"encoding"}
    assert codes_by_category["yaml_bombs"] <= {"yaml_alias_bomb", "too_deep"}
    assert "yaml_alias_bomb" in codes_by_category["yaml_bombs"]
    assert "duplicate_names" not in codes_by_category


def test_accepted_schemas_are_safe_to_validate_with(tmp_path):
    """What ingestion accepts, the runtime validates arguments with: no endless recursion, no fetching."""
    from jsonschema import Draft202012Validator

    _, _, result = _ingest(tmp_path, 4)
    assert any("$defs" in t.parameters for t in result.tools)  # recursive-but-descending schemas are kept
    for tool in result.tools:
        validator = Draft202012Validator(tool.parameters)
        instance = {name: {"and": [{"and": []}]} for name in tool.parameters.get("properties", {})}
        list(validator.iter_errors(instance))  # must return, whatever it finds


def test_the_warehouse_keeps_every_rejection_and_reingest_changes_nothing(home, tmp_path):
    files, by_path, result = _ingest(tmp_path, 5)
    wh = open_warehouse(home.warehouse)
    run_id = wh.start_run("ingest", {})
    first = persist_ingest(wh, result, run_id=run_id)
    wh.finish_run(run_id, "completed")
    stored = load_rejections(wh)
    assert {(r["source_file"], r["pointer"]) for r in stored} == {
        (path, pointer) for path, f in by_path.items() for pointer in f.bad
    }
    assert all(r["reason"] and r["reason_code"] in REASONS for r in stored)
    assert first.inserted == len(result.tools) == wh.counts()["tools"]
    assert check_warehouse(wh) == []

    again = persist_ingest(wh, ingest_paths([tmp_path / "corpus"]), run_id=run_id)
    assert (again.inserted, again.removed, again.rejections_inserted, again.rejections_cleared) == (
        0,
        0,
        0,
        0,
    )
    assert wh.counts()["rejected_tools"] == len(stored)


@pytest.mark.slow
def test_the_ingest_flow_survives_the_corpus(home, prefect_harness, tmp_path):
    from envscale.flows.ingest import ingest_tools

    files, by_path, _ = _ingest(tmp_path, 6, per_category=2)
    summary = ingest_tools(paths=[str(tmp_path / "corpus")])
    assert summary["rejected"] == sum(len(f.bad) for f in files)
    assert summary["accepted"] > 0
    wh = open_warehouse(home.warehouse)
    with wh.connect() as con:
        assert (
            con.execute("SELECT status FROM runs WHERE run_id = ?", [summary["run_id"]]).fetchone()[0]
            == "completed"
        )
    assert check_warehouse(wh) == []


def test_no_silent_parameter_loss_at_ingest(tmp_path):
    """#19.3: schemas under dialect keys are read, bad `required` repaired, binary/empty files rejected once."""
    import json
    import os

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    city = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city", "unit"]}
    (corpus / "args.json").write_text(
        json.dumps(
            [
                {"name": "get_weather", "description": "Weather for a city.", "arguments": city},
                {
                    "name": "get_time",
                    "inputSchema": {"type": "object", "properties": {"tz": {"type": "string"}}},
                },
                {"name": "ping", "description": "Ping."},
            ]
        )
    )
    (corpus / "blob.jsonl").write_bytes(os.urandom(4000) + b"\n\x00\n" * 20)
    (corpus / "empty.json").write_text("[]")
    result = ingest_paths([corpus])
    tools = {t.name: t for t in result.tools}
    assert tools["get_weather"].parameters["properties"] == {"city": {"type": "string"}}
    assert tools["get_weather"].parameters["required"] == ["city"]  # 'unit' named no property
    assert any("dropped: unit" in n for n in tools["get_weather"].notes)
    assert "tz" in tools["get_time"].parameters["properties"]
    # only an entry with no schema anywhere is argument-free
    argument_free = {n for n, t in tools.items() if not t.parameters["properties"]}
    assert argument_free == {"ping"}
    by_file: dict[str, list] = defaultdict(list)
    for r in result.rejections:
        by_file[Path(r.source.file).name].append(r)
    assert [r.reason_code for r in by_file["blob.jsonl"]] == ["encoding"]
    assert "binary" in by_file["blob.jsonl"][0].reason
    assert [(r.reason_code, r.reason) for r in by_file["empty.json"]] == [
        ("empty_file", "the file holds an empty array or object")
    ]
