"""Reading one file into JSON values, defensively: size, encoding, JSON/JSONL/YAML, nesting and alias bombs.

Every failure becomes a :class:`Rejection` (whole file, or one JSONL line); nothing here raises on bad input.
A JSON file that turns out to be JSON-lines (BFCL ships ``.json`` files that are) is read line by line, so
one broken line costs one entry, not the file.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from envscale.environments.catalog.reasons import reject
from envscale.environments.catalog.records import Rejection

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
YAML_SUFFIXES = (".yaml", ".yml")
SUFFIXES = JSON_SUFFIXES + YAML_SUFFIXES
MAX_YAML_NODES = 2_000_000  # expanded node count; a "billion laughs" file blows far past this
# JSON nested deeper than this is cut out (replaced by TOO_DEEP) when the whole document would not parse,
# so one recursion-bomb entry costs that entry, not the file. Far above any schema depth limit (64).
MAX_JSON_DEPTH = 200
TOO_DEEP = "\x00envscale:too-deep"


@dataclass
class Document:
    """One JSON value from a file; ``prefix`` is '' for a whole-file document, 'line:N' for a JSONL line."""

    value: Any
    prefix: str = ""


@dataclass
class LoadedFile:
    path: str
    syntax: str  # json | jsonl | yaml
    documents: list[Document] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    # Set when the documents carry marks of damage that only some entries may hold: bytes that are not
    # UTF-8 (kept as lone surrogates) or subtrees cut at MAX_JSON_DEPTH. See ``entry_damage``.
    damaged: bool = False

    @property
    def readable(self) -> bool:
        """Whether any document came out (a file with only broken lines still counts as read)."""
        return bool(self.documents) or self.syntax == "jsonl"


class _BadConstant(ValueError):
    pass


def _no_constants(name: str) -> Any:
    # NaN/Infinity are not JSON; DuckDB's JSON type and most tool APIs refuse them.
    raise _BadConstant(f"non-standard JSON constant {name}")


def load_file(path: Path, *, max_bytes: int) -> LoadedFile:
    """Parse ``path`` by its suffix (unknown suffixes: JSON first, then YAML)."""
    name = str(path)
    suffix = path.suffix.lower()
    syntax = "yaml" if suffix in YAML_SUFFIXES else ("jsonl" if suffix in (".jsonl", ".ndjson") else "json")
    out = LoadedFile(name, syntax)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            out.rejections.append(
                reject(name, "", "", "file_too_large", f"{size:,} bytes is over the {max_bytes:,}-byte limit")
            )
            return out
        data = path.read_bytes()
    except OSError as exc:
        out.rejections.append(reject(name, "", "", "unreadable", f"{type(exc).__name__}: {exc}"))
        return out
    if not data.strip():
        out.rejections.append(reject(name, "", "", "empty_file", "the file is empty"))
        return out

    text = _decode(data)
    if text is None and _looks_binary(data):  # one rejection, not one per "line"
        out.rejections.append(
            reject(name, "", "", "encoding", f"a binary file, not text ({_decode_error(data)})")
        )
        return out
    if text is None:
        if syntax == "yaml":
            out.rejections.append(reject(name, "", "", "encoding", _decode_error(data)))
            return out
        if syntax == "json" and _load_damaged_json(data, out):
            return out
        # Maybe JSON-lines with a few bad lines: keep the good ones.
        out.syntax = "jsonl"
        _load_jsonl_bytes(data, out)
        return out

    if syntax == "yaml":
        _load_yaml(text, out)
    elif syntax == "jsonl":
        _load_jsonl_text(text, out)
    else:
        _load_json(text, out, allow_yaml=suffix not in JSON_SUFFIXES)
    return out


def _decode(data: bytes) -> str | None:
    try:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


_CONTROL = frozenset(range(32)) - {9, 10, 12, 13} | {127}


def _looks_binary(data: bytes, sample: int = 8192) -> bool:
    """NUL bytes or many control bytes in the first ``sample`` bytes (text with a few bad bytes is not binary)."""
    head = data[:sample]
    return b"\x00" in head or sum(b in _CONTROL for b in head) > 0.05 * len(head)


def _decode_error(data: bytes) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} ({exc.reason})"
    return "not decodable text"


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_no_constants)


def _load_damaged_json(data: bytes, out: LoadedFile) -> bool:
    """A whole JSON document with a few non-UTF-8 bytes inside strings: keep it, bad bytes as lone surrogates.

    The entries holding them are rejected one by one (``entry_damage``); False when it is no single document.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    try:
        value = _loads(text)
    except (ValueError, RecursionError):
        return False
    out.documents.append(Document(value))
    out.damaged = True
    return True


def _load_json(text: str, out: LoadedFile, *, allow_yaml: bool) -> None:
    try:
        out.documents.append(Document(_loads(text)))
        return
    except RecursionError:
        value = _load_cut(text)
        if value is _FAILED:
            out.rejections.append(
                reject(out.path, "", "", "too_deep", "JSON nesting exceeds the parser's recursion limit")
            )
        else:
            out.documents.append(Document(value))
            out.damaged = True
        return
    except _BadConstant as exc:
        out.rejections.append(reject(out.path, "", "", "malformed_json", str(exc)))
        return
    except json.JSONDecodeError as exc:
        first_error = exc
    # "Extra data" after a complete first value: JSON-lines under a .json name.
    if first_error.msg == "Extra data" or _first_line_parses(text):
        out.syntax = "jsonl"
        _load_jsonl_text(text, out)
        return
    if allow_yaml:
        out.syntax = "yaml"
        _load_yaml(text, out)
        return
    out.rejections.append(
        reject(
            out.path,
            "",
            "",
            "malformed_json",
            f"{first_error.msg} at line {first_error.lineno} column {first_error.colno}"
            + (" (truncated?)" if first_error.pos >= len(text.rstrip()) - 1 else ""),
            excerpt=text[max(0, first_error.pos - 80) : first_error.pos + 80],
        )
    )


_FAILED = object()
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _load_cut(text: str) -> Any:
    """The document with every container nested deeper than MAX_JSON_DEPTH replaced by TOO_DEEP, or _FAILED."""
    parts: list[str] = []
    depth = 0
    start = 0  # where the text still to copy begins
    cut_from = -1  # depth at which the current cut began (-1: not cutting)
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token[0] == '"':
            continue
        if token in "[{":
            depth += 1
            if cut_from < 0 and depth > MAX_JSON_DEPTH:
                parts.append(text[start : match.start()])
                parts.append(json.dumps(TOO_DEEP))
                cut_from = depth
        else:
            if cut_from >= 0 and depth == cut_from:
                start = match.end()
                cut_from = -1
            depth -= 1
    if cut_from >= 0:
        return _FAILED  # unbalanced: truncated inside the deep part
    parts.append(text[start:])
    try:
        return _loads("".join(parts))
    except (ValueError, RecursionError):
        return _FAILED


def entry_damage(value: Any) -> tuple[str, str] | None:
    """``(reason_code, reason)`` when ``value`` holds a cut subtree or non-UTF-8 bytes, else None.

    Iterative: the value may still be ~MAX_JSON_DEPTH deep.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item == TOO_DEEP:
                return "too_deep", f"nested deeper than {MAX_JSON_DEPTH} levels (recursion bomb)"
            if _has_surrogate(item):
                return "encoding", "holds bytes that are not UTF-8"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _first_line_parses(text: str) -> bool:
    first, _, rest = text.lstrip().partition("\n")
    if not rest.strip():
        return False
    try:
        _loads(first)
    except (ValueError, RecursionError):
        return False
    return True


def _load_jsonl_text(text: str, out: LoadedFile) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        _load_line(line, number, out)


def _load_jsonl_bytes(data: bytes, out: LoadedFile) -> None:
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            out.rejections.append(
                reject(
                    out.path,
                    f"line:{number}",
                    "",
                    "encoding",
                    f"not UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1} ({exc.reason})",
                    excerpt=raw,
                )
            )
            continue
        _load_line(line, number, out)


def _load_line(line: str, number: int, out: LoadedFile) -> None:
    if not line.strip():
        return
    pointer = f"line:{number}"
    try:
        out.documents.append(Document(_loads(line), pointer))
    except RecursionError:
        out.rejections.append(
            reject(out.path, pointer, "", "too_deep", "JSON nesting exceeds the recursion limit")
        )
    except _BadConstant as exc:
        out.rejections.append(reject(out.path, pointer, "", "malformed_json", str(exc), excerpt=line))
    except json.JSONDecodeError as exc:
        out.rejections.append(
            reject(out.path, pointer, "", "malformed_json", f"{exc.msg} at column {exc.colno}", excerpt=line)
        )


# -- YAML ---------------------------------------------------------------------
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc,valid-type]
    """Safe YAML without timestamp parsing (dates stay strings, as in JSON)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}


def _load_yaml(text: str, out: LoadedFile) -> None:
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            problem = _alias_problem(node)
            if problem:
                out.rejections.append(reject(out.path, "", "", "yaml_alias_bomb", problem))
                return
            value = _jsonable(loader.construct_document(node))
            out.documents.append(Document(value, "" if not out.documents else f"doc:{len(out.documents)}"))
    except RecursionError:
        out.rejections.append(
            reject(out.path, "", "", "too_deep", "YAML nesting exceeds the recursion limit")
        )
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())[:500]
        # libyaml stops nesting bombs itself ("exceeded maximum nesting depth"): say so with the right code.
        code = "too_deep" if "nesting depth" in message else "malformed_yaml"
        out.rejections.append(reject(out.path, "", "", code, message))
    finally:
        loader.dispose()
    if not out.documents and not out.rejections:
        out.rejections.append(reject(out.path, "", "", "empty_file", "the YAML holds no document"))


def _alias_problem(root: yaml.Node) -> str | None:
    """Expanded size of the node graph (aliases share nodes), or why it cannot be expanded."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    # Iterative post-order walk: YAML may be deep enough to break Python recursion.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            children = _children(node)
            total = 1 + sum(sizes[id(c)] for c in children)
            if total > MAX_YAML_NODES:
                return f"anchors/aliases expand to more than {MAX_YAML_NODES:,} nodes"
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in active:
            return "an alias refers to a node that contains it (recursive structure)"
        active.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in active:
                return "an alias refers to a node that contains it (recursive structure)"
            if id(child) not in sizes:
                stack.append((child, False))
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _jsonable(value: Any) -> Any:
    """YAML values as JSON: keys become strings (OpenAPI's ``200:``), odd scalars become strings."""
    if isinstance(value, dict):
        return {_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)
