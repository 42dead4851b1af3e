"""A seeded corpus of broken tool-schema files, each knowing which of its entries must be rejected.

Every file mixes healthy entries with broken ones (or is broken as a whole), so a
test can assert per file: the rejected pointers are exactly ``bad``, the accepted
pointers exactly ``good`` — nothing crashed, nothing healthy was lost.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CATEGORIES = (
    "truncated_json",
    "wrong_types",
    "ref_cycles",
    "deep_nesting",
    "huge_strings",
    "duplicate_names",
    "non_utf8",
    "yaml_bombs",
    "mixed",
)
DEEP = 10_000  # nesting depth of the recursion bombs
HUGE = 200_000  # characters of an oversized string (the default limit is 100,000)


@dataclass
class CorpusFile:
    """One generated file and what ingesting it must give."""

    category: str
    name: str
    content: bytes
    good: set[str] = field(default_factory=set)  # JSON pointers of entries that must be accepted
    bad: set[str] = field(default_factory=set)  # pointers that must be rejected ('' = the whole file)

    def write(self, directory: Path) -> Path:
        path = directory / self.category / self.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.content)
        return path


# -- entries ------------------------------------------------------------------------
_WORDS = ("order", "user", "flight", "weather", "invoice", "ticket", "song", "room", "car", "book")
_VERBS = ("get", "list", "create", "update", "cancel", "search", "delete", "book")


def good_entry(rng: random.Random, n: int) -> dict[str, Any]:
    """A healthy OpenAI tool with a unique name."""
    noun = rng.choice(_WORDS)
    props = {
        f"{noun}_id": {"type": "string", "description": f"The {noun} id."},
        "limit": {"type": "integer", "minimum": 1, "maximum": 100},
    }
    if rng.random() < 0.3:  # a recursive schema that descends is legitimate
        props["filter"] = {"$ref": "#/$defs/node"}
    params: dict[str, Any] = {"type": "object", "properties": props, "required": [f"{noun}_id"]}
    if "filter" in props:
        params["$defs"] = {
            "node": {
                "type": "object",
                "properties": {"and": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
            }
        }
    return _wrap(
        f"{rng.choice(_VERBS)}_{noun}_{rng.randrange(10**6)}_{n}", f"Does something with a {noun}.", params
    )


def _wrap(name: Any, description: Any, parameters: Any) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


def _nest(depth: int, leaf: Any = None) -> Any:
    # Built iteratively: the value itself must not blow Python's recursion while being built.
    node: Any = {} if leaf is None else leaf
    for _ in range(depth):
        node = {"a": node}
    return node


# Broken entries of one kind, each (entry, where the rejection points relative to the entry).
# "/function" = the function object, "" = the entry itself.
def _wrong_type(rng: random.Random, n: int) -> tuple[Any, str]:
    base = good_entry(rng, n)
    fn = base["function"]
    choice = rng.randrange(14)
    if choice == 0:
        return rng.choice([42, "tool", None, [], 3.5, True]), ""
    if choice == 1:
        base["function"] = rng.choice(["f", 7, [], None])
        return base, "/function"
    if choice == 2:
        base["type"] = rng.choice(["retrieval", "code_interpreter", "file_search"])
        return base, ""
    if choice == 3:
        fn["name"] = rng.choice([123, ["a"], {"n": 1}, 1.5])
    elif choice == 4:
        fn["name"] = rng.choice(["", "   ", None])
    elif choice == 5:
        fn["description"] = rng.choice([5, ["x"], {"d": 1}, True])
    elif choice == 6:
        fn["parameters"] = rng.choice(["object", 5, [], True, ["a"]])
    elif choice == 7:
        fn["parameters"] = {"type": rng.choice(["string", "array", "integer"])}
    elif choice == 8:
        fn["parameters"] = {"type": "object", "properties": [1, 2]}
    elif choice == 9:
        fn["parameters"] = {
            "type": "object",
            "properties": {"a": {"type": rng.choice([5, "strnig", ["x", 1]])}},
        }
    elif choice == 10:
        fn["parameters"] = {"type": "object", "properties": {}, "required": "a"}
    elif choice == 11:
        fn["parameters"] = {"type": "object", "properties": {"a": {"minimum": "zero"}}}
    elif choice == 12:
        fn["parameters"] = {"type": "object", "properties": {"a": {"type": "string", "enum": "abc"}}}
    else:
        fn["parameters"] = {"type": "object", "properties": {"a": {"type": "array", "items": 7}}}
    return base, "/function"


def _ref_cycle(rng: random.Random, n: int) -> tuple[Any, str]:
    base = good_entry(rng, n)
    choice = rng.randrange(6)
    params: dict[str, Any]
    if choice == 0:
        params = {
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/a"}},
            "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
        }
    elif choice == 1:
        params = {"type": "object", "properties": {"a": {"$ref": "#/properties/a"}}}
    elif choice == 2:
        params = {"type": "object", "allOf": [{"$ref": "#"}]}
    elif choice == 3:
        k = rng.randrange(3, 12)
        defs = {f"d{i}": {"anyOf": [{"$ref": f"#/$defs/d{(i + 1) % k}"}]} for i in range(k)}
        params = {"type": "object", "properties": {"x": {"$ref": "#/$defs/d0"}}, "$defs": defs}
    elif choice == 4:
        params = {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}
    else:
        params = {"type": "object", "properties": {"a": {"$ref": "https://example.com/schema.json"}}}
    base["function"]["parameters"] = params
    return base, "/function"


def _deep(rng: random.Random, n: int) -> tuple[Any, str]:
    base = good_entry(rng, n)
    fn = base["function"]
    choice = rng.randrange(4)
    if choice == 0:
        fn["parameters"] = {"type": "object", "properties": {"x": _nest(DEEP)}}
    elif choice == 1:
        fn["description"] = _nest(DEEP, leaf="text")
    elif choice == 2:
        fn["parameters"] = {"type": "object", "properties": {"x": {"enum": [_nest(DEEP)]}}}
    else:  # under the parser's cut, over the schema depth limit
        fn["parameters"] = {"type": "object", "properties": {"x": _nest(100)}}
    return base, "/function"


def _huge(rng: random.Random, n: int) -> tuple[Any, str]:
    base = good_entry(rng, n)
    fn = base["function"]
    big = rng.choice("xyzw") * (HUGE + rng.randrange(1000))
    choice = rng.randrange(4)
    if choice == 0:
        fn["description"] = big
    elif choice == 1:
        fn["name"] = "n" * (HUGE // 2)
    elif choice == 2:
        fn["parameters"]["properties"]["huge"] = {"type": "string", "description": big}
    else:
        fn["parameters"]["properties"]["huge"] = {"type": "string", "enum": ["ok", big]}
    return base, "/function"


BAD_ENTRIES: dict[str, Callable[[random.Random, int], tuple[Any, str]]] = {
    "wrong_types": _wrong_type,
    "ref_cycles": _ref_cycle,
    "deep_nesting": _deep,
    "huge_strings": _huge,
}


def _dumps(value: Any, *, indent: int | None = None) -> str:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, DEEP * 3))  # json.dumps recurses; the bombs are 10,000 deep
    try:
        return json.dumps(value, indent=indent, ensure_ascii=False)
    finally:
        sys.setrecursionlimit(limit)


def _entries_file(
    category: str,
    name: str,
    rng: random.Random,
    makers: list[Callable[[random.Random, int], tuple[Any, str]]],
) -> CorpusFile:
    """A JSON array of healthy and broken entries in random order."""
    n_good, n_bad = rng.randint(1, 6), rng.randint(1, 4)
    slots: list[tuple[Any, str | None]] = [(good_entry(rng, i), None) for i in range(n_good)]
    slots += [rng.choice(makers)(rng, 100 + i) for i in range(n_bad)]
    rng.shuffle(slots)
    out = CorpusFile(category, name, b"")
    items = []
    for i, (entry, where) in enumerate(slots):
        items.append(entry)
        if where is None:
            out.good.add(f"/{i}/function")
        else:
            out.bad.add(f"/{i}{where}")
    # Indenting a 10,000-deep entry costs O(depth²) bytes: recursion bombs come compact.
    indent = None if category in ("deep_nesting", "mixed") else rng.choice([None, 1])
    out.content = _dumps(items, indent=indent).encode()
    return out


# -- file-level categories ----------------------------------------------------------------
def _truncated(rng: random.Random, i: int) -> CorpusFile:
    entries = [good_entry(rng, k) for k in range(rng.randint(2, 6))]
    if i % 2 == 0:  # a JSON document cut anywhere: the file is lost, and said so
        text = _dumps(entries, indent=1)
        cut = rng.randrange(1, len(text) - 1)
        return CorpusFile("truncated_json", f"cut_{i}.json", text[:cut].encode(), bad={""})
    # JSON-lines with a few lines cut: only those lines are lost
    out = CorpusFile("truncated_json", f"cut_{i}.jsonl", b"")
    lines = []
    for k, entry in enumerate(entries, start=1):
        line = _dumps(entry)
        if rng.random() < 0.4:
            line = line[: rng.randrange(1, len(line) - 1)]
            out.bad.add(f"line:{k}")
        else:
            out.good.add(f"line:{k}#/function")
        lines.append(line)
    out.content = ("\n".join(lines) + "\n").encode()
    return out


def _duplicates(rng: random.Random, i: int) -> CorpusFile:
    """Same names, different tools (all kept, uniquely renamed) and exact copies (merged): nothing is bad."""
    base = good_entry(rng, 0)
    items = [base, json.loads(json.dumps(base))]
    for k in range(rng.randint(1, 4)):
        twin = json.loads(json.dumps(base))
        twin["function"]["description"] = f"Another tool that shares the name ({k})."
        items.append(twin)
    items.append(good_entry(rng, 1))
    rng.shuffle(items)
    return CorpusFile(
        "duplicate_names",
        f"dupes_{i}.json",
        _dumps(items).encode(),
        good={f"/{k}/function" for k in range(len(items))},
    )


def _non_utf8(rng: random.Random, i: int) -> CorpusFile:
    bad_byte = rng.choice([b"\xe9", b"\xff", b"\xc3\x28", b"\x80", b"\xfe"])
    variant = i % 3
    if variant == 2:  # YAML must be text: the whole file is rejected
        return CorpusFile(
            "non_utf8", f"latin_{i}.yaml", b"name: caf" + bad_byte + b"\nparameters: {}\n", bad={""}
        )
    entries = [good_entry(rng, k) for k in range(rng.randint(2, 6))]
    victims = set(rng.sample(range(len(entries)), rng.randint(1, max(1, len(entries) - 1))))
    marker = "@@BAD@@"
    for k in victims:
        entries[k]["function"]["description"] = f"Caf{marker} au lait."
    if variant == 0:  # one JSON document: the entries holding the bytes are rejected one by one
        text = _dumps(entries, indent=rng.choice([None, 2]))
        out = CorpusFile("non_utf8", f"bytes_{i}.json", text.encode().replace(marker.encode(), bad_byte))
        out.bad = {f"/{k}/function" for k in victims}
        out.good = {f"/{k}/function" for k in range(len(entries)) if k not in victims}
        return out
    lines = [_dumps(e).encode().replace(marker.encode(), bad_byte) for e in entries]
    out = CorpusFile("non_utf8", f"bytes_{i}.jsonl", b"\n".join(lines) + b"\n")
    out.bad = {f"line:{k + 1}" for k in victims}
    out.good = {f"line:{k + 1}#/function" for k in range(len(entries)) if k not in victims}
    return out


def billion_laughs(levels: int = 10, width: int = 9) -> str:
    names = [f"l{k}" for k in range(levels)]
    lines = [f"{names[0]}: &{names[0]} [{', '.join(['lol'] * width)}]"]
    for prev, name in zip(names, names[1:], strict=False):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * width)}]")
    return "\n".join(lines) + "\n"


def _yaml_bomb(rng: random.Random, i: int) -> CorpusFile:
    variant = i % 4
    if variant == 0:
        return CorpusFile(
            "yaml_bombs", f"laughs_{i}.yaml", billion_laughs(rng.randint(8, 12)).encode(), bad={""}
        )
    if variant == 1:
        return CorpusFile("yaml_bombs", f"self_{i}.yaml", b"a: &a [x, *a]\n", bad={""})
    if variant == 2:  # a healthy document, then a bomb document: the first one still ingests
        good = _dumps([good_entry(rng, 0), good_entry(rng, 1)])
        text = good + "\n---\n" + billion_laughs(rng.randint(8, 11))
        return CorpusFile(
            "yaml_bombs", f"multi_{i}.yaml", text.encode(), good={"/0/function", "/1/function"}, bad={""}
        )
    deep = "[" * DEEP + "]" * DEEP  # flow-style nesting bomb
    return CorpusFile("yaml_bombs", f"nest_{i}.yaml", f"tools: {deep}\n".encode(), bad={""})


def _deep_file(rng: random.Random, i: int) -> CorpusFile:
    if i % 3 == 0:  # nothing but nesting
        return CorpusFile("deep_nesting", f"bomb_{i}.json", ("[" * DEEP + "]" * DEEP).encode(), bad={""})
    return _entries_file("deep_nesting", f"deep_{i}.json", rng, [_deep])


def generate(seed: int = 0, per_category: int = 6) -> list[CorpusFile]:
    """``per_category`` files of every category, deterministic in ``seed``."""
    rng = random.Random(seed)
    files: list[CorpusFile] = []
    for i in range(per_category):
        files.append(_truncated(rng, i))
        files.append(_entries_file("wrong_types", f"types_{i}.json", rng, [_wrong_type]))
        files.append(_entries_file("ref_cycles", f"refs_{i}.json", rng, [_ref_cycle]))
        files.append(_deep_file(rng, i))
        files.append(_entries_file("huge_strings", f"huge_{i}.json", rng, [_huge]))
        files.append(_duplicates(rng, i))
        files.append(_non_utf8(rng, i))
        files.append(_yaml_bomb(rng, i))
        files.append(_entries_file("mixed", f"mixed_{i}.json", rng, list(BAD_ENTRIES.values())))
    return files
