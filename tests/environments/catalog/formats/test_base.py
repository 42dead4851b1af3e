"""Parser building blocks: JSON pointers (documents and JSONL lines), text fields, and rejections in context."""

from __future__ import annotations

from envscale.environments.catalog.formats.base import ParseContext, ptr, text_or_none


def test_ptr_escapes_rfc6901_and_joins_jsonl_lines_with_a_hash():
    assert ptr("", "paths", "/pets/{id}", "get") == "/paths/~1pets~1{id}/get"
    assert ptr("/a", "x~y") == "/a/x~0y"
    assert ptr("line:3", "function") == "line:3#/function"
    assert ptr("line:3") == "line:3"
    assert ptr("line:3#/tools", 0) == "line:3#/tools/0"  # already inside the line


def test_text_or_none():
    assert text_or_none("x") == "x"
    assert text_or_none(3) is None and text_or_none(None) is None


def test_context_rejections_carry_the_file_and_format():
    ctx = ParseContext(file="/src/a.json", fmt="openai")
    rejection = ctx.reject("/tools/0", "missing_name", "the tool has no name", {"description": "x"})
    assert (rejection.source.file, rejection.source.pointer, rejection.source.format) == (
        "/src/a.json",
        "/tools/0",
        "openai",
    )
    assert rejection.reason_code == "missing_name" and rejection.excerpt == '{"description": "x"}'
