"""Read, write or unknown: decided from the strongest evidence the source gives, with the reason.

Evidence, strongest first: an explicit flag in the source (MCP ``readOnlyHint``/``destructiveHint``,
a τ-bench-style ``kind``), the HTTP method (GET/HEAD/OPTIONS read; POST/PUT/PATCH/DELETE write),
then the leading verb of the tool name. Anything else stays 'unknown' rather than guessed.
"""

from __future__ import annotations

import re
from typing import Any

READ_METHODS = frozenset({"get", "head", "options", "trace"})
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})

_READ_WORDS = """get list search find fetch read query lookup look check show view describe count retrieve
    calculate compute convert estimate predict analyze analyse validate verify display inspect
    is has can browse filter recommend suggest compare translate summarize summarise
    detect identify evaluate download export print ls cat pwd grep du wc diff tail head sort stat
    info details status locate track explore scan measure forecast sum mean average think"""
READ_VERBS = frozenset(_READ_WORDS.split())
_WRITE_WORDS = """create add update set delete remove cancel book send post put modify insert register reserve
    transfer pay upload write edit change exchange return move copy rename mkdir touch rm mv cp
    submit approve reject assign close open start stop enable disable activate deactivate archive
    restore reset schedule reschedule refund charge purchase buy sell order place apply issue
    subscribe unsubscribe follow unfollow like unlike comment reply share publish unpublish
    lock unlock mark upsert save store replace merge import sync clear drop withdraw deposit
    login logout signup grant revoke block unblock invite join leave checkin
    checkout renew borrow lend fill"""
WRITE_VERBS = frozenset(_WRITE_WORDS.split())
# Read/write hints from explicit source fields (τ-bench forks, custom exports).
_KIND_FIELDS = ("kind", "tool_type", "toolType", "type_of_tool", "access", "mode")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def explicit_kind(*objects: Any) -> tuple[str, str] | None:
    """A read/write flag stated by the source in one of ``objects`` (dicts), with the field that said so."""
    for obj in objects:
        if not isinstance(obj, dict):
            continue
        for key in ("read_only", "readOnly", "readonly"):
            if isinstance(obj.get(key), bool):
                return ("read" if obj[key] else "write", f"source field {key}={str(obj[key]).lower()}")
        for key in _KIND_FIELDS:
            value = obj.get(key)
            if isinstance(value, str) and value.strip().lower() in ("read", "write"):
                return value.strip().lower(), f"source field {key}={value.strip().lower()!r}"
    return None


def mcp_kind(annotations: Any) -> tuple[str, str] | None:
    """MCP tool annotations: readOnlyHint wins; destructiveHint implies a write."""
    if not isinstance(annotations, dict):
        return None
    read_only = annotations.get("readOnlyHint")
    if read_only is True:
        return "read", "MCP annotation readOnlyHint=true"
    if annotations.get("destructiveHint") is True:
        return "write", "MCP annotation destructiveHint=true"
    if read_only is False:
        return "write", "MCP annotation readOnlyHint=false"
    return None


def method_kind(method: Any) -> tuple[str, str] | None:
    if not isinstance(method, str):
        return None
    m = method.strip().lower()
    if m in READ_METHODS:
        return "read", f"HTTP method {m.upper()}"
    if m in WRITE_METHODS:
        return "write", f"HTTP method {m.upper()}"
    return None


def name_kind(name: str) -> tuple[str, str]:
    """The first read or write verb among the words of the name (last dotted segment, snake or camel case)."""
    last = name.rsplit(".", 1)[-1].rsplit("/", 1)[-1]
    words = [w for w in re.split(r"[_\-\s]+", _CAMEL.sub("_", last).lower()) if w]
    if not words:
        return "unknown", "no name to judge by"
    # The first verb-like word decides: 'get_order' and 'Buses_3_BuyBusTicket' both have one.
    for word in words:
        if word in WRITE_VERBS:
            return "write", f"name verb {word!r}"
        if word in READ_VERBS:
            return "read", f"name verb {word!r}"
    return "unknown", f"no read/write verb in the name ({'_'.join(words)[:40]!r})"


def decide(name: str, *evidence: tuple[str, str] | None) -> tuple[str, str]:
    """The first piece of evidence present, else the name heuristic."""
    for item in evidence:
        if item is not None:
            return item
    return name_kind(name)


def evidence_rank(reason: str) -> int:
    """Strength of a kind_reason (higher wins when duplicates merge)."""
    if reason.startswith(("MCP annotation", "source field")):
        return 3
    if reason.startswith("HTTP method"):
        return 2
    if reason.startswith("name verb"):
        return 1
    return 0
