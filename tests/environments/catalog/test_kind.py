"""Read, write or unknown, from the strongest evidence: explicit flags, then the HTTP method, then the name's verb."""

from __future__ import annotations

import pytest

from envscale.environments.catalog.kind import (
    decide,
    evidence_rank,
    explicit_kind,
    mcp_kind,
    method_kind,
    name_kind,
)


@pytest.mark.parametrize(
    ("name", "kind", "reason"),
    [
        ("get_order", "read", "name verb 'get'"),
        ("cancelOrder", "write", "name verb 'cancel'"),
        ("Buses_3_BuyBusTicket", "write", "name verb 'buy'"),
        ("math.factorial", "unknown", "no read/write verb in the name ('factorial')"),
        ("api/v1/list-users", "read", "name verb 'list'"),
        ("___", "unknown", "no name to judge by"),
    ],
)
def test_name_kind(name, kind, reason):
    assert name_kind(name) == (kind, reason)


def test_explicit_flags_in_any_of_the_objects():
    assert explicit_kind({"readOnly": True}) == ("read", "source field readOnly=true")
    assert explicit_kind({}, "not a dict", {"kind": " Write "}) == ("write", "source field kind='write'")
    assert explicit_kind({"kind": "maybe"}, {"mode": "read"}) == ("read", "source field mode='read'")
    assert explicit_kind({"kind": "maybe"}) is None


def test_mcp_annotations_read_only_wins_and_destructive_implies_write():
    assert mcp_kind({"readOnlyHint": True, "destructiveHint": True}) == (
        "read",
        "MCP annotation readOnlyHint=true",
    )
    assert mcp_kind({"destructiveHint": True}) == ("write", "MCP annotation destructiveHint=true")
    assert mcp_kind({"readOnlyHint": False}) == ("write", "MCP annotation readOnlyHint=false")
    assert mcp_kind({"title": "x"}) is None and mcp_kind(None) is None


def test_http_methods():
    assert method_kind(" get ") == ("read", "HTTP method GET")
    assert method_kind("DELETE") == ("write", "HTTP method DELETE")
    assert method_kind("connect") is None and method_kind(None) is None


def test_decide_takes_the_first_evidence_present_else_the_name():
    assert decide("get_order", None, ("write", "HTTP method POST")) == ("write", "HTTP method POST")
    assert decide("get_order", None, None) == ("read", "name verb 'get'")


def test_evidence_rank_orders_the_reasons():
    reasons = [
        "no name to judge by",
        "name verb 'get'",
        "HTTP method GET",
        "MCP annotation readOnlyHint=true",
    ]
    assert [evidence_rank(r) for r in reasons] == [0, 1, 2, 3]
    assert evidence_rank("source field kind='write'") == 3
