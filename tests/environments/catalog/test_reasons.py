"""Every rejection reason, from hostile or broken input: a row with source, pointer and reason; no crash."""

from __future__ import annotations

import json

import pytest

from envscale.config import IngestSettings
from envscale.environments.catalog.ingest import ingest_paths
from envscale.environments.catalog.reasons import REASONS

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


def _deep_schema(levels: int) -> dict:
    root = {"type": "object", "properties": {}}
    node = root
    for _ in range(levels):
        child = {"type": "object", "properties": {}}
        node["properties"]["x"] = child
        node = child
    return root


def _fn(name="f", **over):
    return {"name": name, "description": "D.", "parameters": {"type": "object", "properties": {}}, **over}


CASES = {
    # code: (file name, content, expected pointer)
    "file_too_large": ("big.json", json.dumps([_fn(description="x" * 3_000_000)]), ""),
    "encoding": ("latin.yaml", "name: caf\xe9\n".encode("latin-1"), ""),
    "empty_file": ("empty.json", "  \n", ""),
    "malformed_json": ("trunc.json", '[{"name": "f", "descr', ""),
    "malformed_yaml": ("bad.yaml", "a: [unclosed\n", ""),
    "yaml_alias_bomb": ("bomb.yaml", BILLION_LAUGHS, ""),
    "too_deep": ("deep.json", "[" * 50_000 + "]" * 50_000, ""),
    "unknown_format": ("what.json", {"hello": "world"}, ""),
    "no_tools": ("tools.json", {"tools": []}, ""),
    "malformed_entry": ("list.json", [_fn(), 42], "/1"),
    "missing_name": ("noname.json", [_fn(name="")], "/0"),
    "invalid_field": ("numdesc.json", [_fn(description=7)], "/0"),
    "description_too_long": ("huge.json", [_fn(description="x" * 10_000_001)], "/0"),
    "parameters_not_object": ("str.json", [_fn(parameters={"type": "string"})], "/0"),
    "invalid_schema": (
        "typo.json",
        [_fn(parameters={"type": "object", "properties": {"a": {"type": "strnig"}}})],
        "/0",
    ),
    "schema_too_deep": ("deepschema.json", [_fn(parameters=_deep_schema(80))], "/0"),
    "schema_too_large": (
        "wide.json",
        [
            _fn(
                parameters={
                    "type": "object",
                    "properties": {f"p{i}": {"type": "string"} for i in range(60_000)},
                }
            )
        ],
        "/0",
    ),
    "unresolved_ref": (
        "api.json",
        {
            "openapi": "3.1.0",
            "info": {"title": "T", "version": "1"},
            "paths": {
                "/a": {
                    "get": {
                        "operationId": "a",
                        "parameters": [{"$ref": "#/components/parameters/Nope"}],
                        "responses": {},
                    }
                }
            },
        },
        "/paths/~1a/get",
    ),
}


def test_every_reason_code_is_exercised() -> None:
    assert set(CASES) | {"unreadable"} == set(REASONS)


@pytest.mark.parametrize("code", sorted(CASES))
def test_rejection(code: str, write) -> None:
    name, content, pointer = CASES[code]
    settings = IngestSettings(max_file_mb=1) if code == "file_too_large" else IngestSettings()
    path = write(name, content)
    good = write("good.json", [_fn("fine")])  # a healthy neighbour is unaffected
    result = ingest_paths([path, good], settings=settings)
    assert "fine" in [t.name for t in result.tools]
    rejected = [r for r in result.rejections if r.source.file == str(path.resolve())]
    assert len(rejected) == 1, rejected
    (r,) = rejected
    assert r.reason_code == code
    assert r.source.pointer == pointer
    assert r.reason and len(r.reason) < 700  # readable, not a dump
    assert r.excerpt is None or len(r.excerpt) <= 301


def test_missing_path_is_unreadable(tmp_path) -> None:
    result = ingest_paths([tmp_path / "nowhere"])
    (r,) = result.rejections
    assert r.reason_code == "unreadable" and "no such file" in r.reason
    assert result.tools == ()


def test_jsonl_bad_lines_cost_only_themselves(write) -> None:
    lines = [
        json.dumps({"type": "function", "function": _fn("a")}),
        "{broken",
        json.dumps({"type": "function", "function": _fn("b")}),
    ]
    src = write("mixed.jsonl", "\n".join(lines) + "\n")
    result = ingest_paths([src])
    assert [t.name for t in result.tools] == ["a", "b"]
    (r,) = result.rejections
    assert (r.reason_code, r.source.pointer) == ("malformed_json", "line:2")
    assert r.excerpt == "{broken"


def test_non_utf8_line_in_jsonl_named_json(write) -> None:
    good = json.dumps(_fn("ok")).encode()
    bad = json.dumps(_fn("bad", description="caf\xe9"), ensure_ascii=False).encode("latin-1")
    src = write("bfcl_like.json", good + b"\n" + bad + b"\n")
    result = ingest_paths([src])
    assert [t.name for t in result.tools] == ["ok"]
    assert [(r.reason_code, r.source.pointer) for r in result.rejections] == [("encoding", "line:2")]


def test_external_and_cyclic_refs(write) -> None:
    spec = {
        "openapi": "3.0.0",
        "info": {"title": "T", "version": "1"},
        "paths": {
            "/ext": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "other.yaml#/X"}}}},
                    "responses": {},
                }
            },
            "/loop": {"$ref": "#/paths/~1loop"},
        },
    }
    result = ingest_paths([write("refs.json", spec)])
    reasons = {r.source.pointer: r.reason for r in result.rejections}
    assert "external $ref" in reasons["/paths/~1ext/post"]
    assert "refers to itself" in reasons["/paths/~1loop"]
    assert all(r.reason_code == "unresolved_ref" for r in result.rejections)


def test_nan_is_not_json(write) -> None:
    src = write(
        "nan.json", '[{"name": "n", "description": "d", "parameters": {"type": "object", "default": NaN}}]'
    )
    (r,) = ingest_paths([src]).rejections
    assert r.reason_code == "malformed_json" and "NaN" in r.reason


def test_invalid_return_schema_is_dropped_not_fatal(write) -> None:
    src = write("ret.json", [_fn("r", returns={"type": 12})])
    (t,) = ingest_paths([src]).tools
    assert t.returns is None
    assert any(n.startswith("return schema dropped") for n in t.notes)
