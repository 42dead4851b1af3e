"""load_file: JSON, JSONL and YAML into documents; every bad input a rejection (one line costs one line)."""

from __future__ import annotations

from envscale.environments.catalog.loading import TOO_DEEP, entry_damage, load_file


def _codes(loaded):
    return [(r.source.pointer, r.reason_code) for r in loaded.rejections]


def test_json_yaml_and_jsonl_documents(write):
    assert load_file(write("a.json", {"tools": []}), max_bytes=10_000).documents[0].value == {"tools": []}
    yaml_file = load_file(write("a.yaml", {"openapi": "3.0.0", "n": 1}), max_bytes=10_000)
    assert yaml_file.syntax == "yaml" and yaml_file.documents[0].value == {"openapi": "3.0.0", "n": 1}
    lines = load_file(write("a.jsonl", '{"a": 1}\n\nnot json\n{"b": 2}\n'), max_bytes=10_000)
    assert [(d.prefix, d.value) for d in lines.documents] == [("line:1", {"a": 1}), ("line:4", {"b": 2})]
    assert _codes(lines) == [("line:3", "malformed_json")]


def test_json_named_file_holding_json_lines_is_read_line_by_line(write):
    loaded = load_file(write("q.json", '{"id": 1}\n{"id": 2}\n'), max_bytes=10_000)
    assert [d.value for d in loaded.documents] == [{"id": 1}, {"id": 2}]


def test_whole_file_rejections(write, tmp_path):
    assert _codes(load_file(write("big.json", {"x": "y" * 100}), max_bytes=50)) == [("", "file_too_large")]
    assert _codes(load_file(write("empty.json", "  \n"), max_bytes=50)) == [("", "empty_file")]
    assert _codes(load_file(write("bin.json", bytes(range(256)) * 4), max_bytes=10_000)) == [("", "encoding")]
    assert _codes(load_file(tmp_path / "absent.json", max_bytes=50)) == [("", "unreadable")]
    assert (
        load_file(write("nan.json", '{"x": NaN}'), max_bytes=50).rejections[0].reason_code == "malformed_json"
    )


def test_yaml_alias_bomb_is_refused(write):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True)
    )
    loaded = load_file(write("bomb.yaml", bomb), max_bytes=1_000_000)
    assert not loaded.documents and _codes(loaded) == [("", "yaml_alias_bomb")]


def test_entry_damage_finds_cut_subtrees_and_non_utf8_text():
    assert entry_damage({"a": [{"b": TOO_DEEP}]})[0] == "too_deep"
    assert entry_damage({"name": "bad\udcff"})[0] == "encoding"
    assert entry_damage({"bad\udcff": 1})[0] == "encoding"  # keys count too
    assert entry_damage({"name": "fine", "n": [1, 2]}) is None
