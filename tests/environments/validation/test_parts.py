"""The validation building blocks: repetition, normalization, role order, quarantine, funnel."""

from __future__ import annotations

import pytest

from envscale.environments.validation.funnel import funnel
from envscale.environments.validation.normalize import call_signature, normalize_arguments
from envscale.environments.validation.quarantine import quarantine
from envscale.environments.validation.records import Verdict
from envscale.environments.validation.repetition import ngram_repetition_ratio
from envscale.environments.validation.validity import check_role_order, parse_calls


def test_repetition_ratio_tells_loops_from_prose():
    assert ngram_repetition_ratio("The order o1 was cancelled and the refund is on its way.", 4) == 0.0
    assert ngram_repetition_ratio("ok " * 50, 4) > 0.9
    assert ngram_repetition_ratio("short", 4) == 0.0


def test_normalization_coerces_per_schema_and_ignores_order_and_whitespace():
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer"},
            "x": {"type": "number"},
            "flag": {"type": "boolean"},
            "ids": {"type": "array", "items": {"type": "integer"}},
            "mode": {"type": "string", "default": "fast"},
        },
    }
    assert normalize_arguments({"n": "5", "x": "2.50", "flag": "True", "ids": ["1", 2.0]}, schema) == {
        "n": 5,
        "x": 2.5,
        "flag": True,
        "ids": [1, 2],
        "mode": "fast",
    }
    assert call_signature("t", {"ids": [1], "n": 5.0}, schema) == call_signature(
        "t", {"n": 5, "ids": [1], "mode": "fast"}, schema
    )
    assert call_signature("t", {"n": 5}, schema) != call_signature("t", {"n": 6}, schema)


@pytest.mark.parametrize(
    ("roles", "problem"),
    [
        (["system", "user", "assistant"], None),
        (["user", "assistant+call", "tool", "assistant"], None),
        (["assistant", "user"], "conversation must open with a user message"),
        (["user", "system"], "system message after the start"),
        (["user", "tool"], "tool message answers no pending tool call"),
        (
            ["user", "assistant+call", "assistant"],
            "1 tool call(s) left unanswered before a assistant message",
        ),
        (["user", "user", "assistant"], "two user messages in a row"),
        (
            ["user", "assistant", "assistant"],
            "assistant reply follows an assistant reply without a tool result or user turn",
        ),
        (["user", "assistant+call"], "tool call(s) never answered"),
        (["user", "robot"], "unknown role"),
    ],
)
def test_role_order(roles, problem):
    messages = []
    for i, role in enumerate(roles):
        if role == "assistant+call":
            messages.append(
                {
                    "role": "assistant",
                    "tool_calls": [{"id": f"c{i}", "function": {"name": "t", "arguments": "{}"}}],
                }
            )
        elif role == "tool":
            messages.append({"role": "tool", "tool_call_id": f"c{i - 1}", "content": "{}"})
        else:
            messages.append({"role": role, "content": "hi"})
    found = check_role_order(messages)
    assert (found or {}).get("problem") == problem


def test_parse_calls_keeps_broken_arguments_as_none():
    calls = parse_calls(
        [
            {"role": "assistant", "tool_calls": [{"id": "a", "function": {"name": "t", "arguments": "[1]"}}]},
            {"role": "assistant", "tool_calls": [{"id": "b", "function": {"name": "t", "arguments": ""}}]},
            {
                "role": "assistant",
                "tool_calls": [{"id": "c", "function": {"name": "t", "arguments": {"k": 1}}}],
            },
        ]
    )
    assert [c.arguments for c in calls] == [None, {}, {"k": 1}]


def test_quarantine_only_touches_accepted_and_keeps_the_first_reason():
    verdicts = {
        "a": Verdict.accept("a"),
        "b": Verdict.reject("b", "validity", "unknown_tool"),
        "c": Verdict.accept("c"),
    }
    first = quarantine(
        verdicts, "s1", [("a", ["e1"], {"row": 1}), ("b", ["e1"], {"row": 2}), ("a", ["e2"], {"row": 3})]
    )
    assert set(first) == {"a"}
    assert (first["a"].verdict, first["a"].reason_code) == ("quarantined", "e1")
    assert first["a"].evidence["contracts"]["s1"]["expectations"] == ["e1", "e2"]
    verdicts.update(first)
    second = quarantine(verdicts, "s2", [("a", ["e9"], {})])
    assert second["a"].reason_code == "e1" and set(second["a"].evidence["contracts"]) == {"s1", "s2"}


def test_funnel_counts_per_domain_and_overall():
    rows = [
        {
            "domain": "shop",
            "verdict": "accepted",
            "passed_validity": True,
            "passed_alignment": True,
            "passed_exact_match": True,
        },
        {
            "domain": "shop",
            "verdict": "rejected",
            "passed_validity": True,
            "passed_alignment": False,
            "passed_exact_match": False,
        },
        {
            "domain": "air",
            "verdict": "quarantined",
            "passed_validity": True,
            "passed_alignment": True,
            "passed_exact_match": True,
        },
        {
            "domain": "air",
            "verdict": None,
            "passed_validity": None,
            "passed_alignment": None,
            "passed_exact_match": None,
        },
    ]
    got = {r.domain: r for r in funnel(rows)}
    assert list(got) == ["air", "shop", "overall"]
    assert (
        got["shop"].synthesized,
        got["shop"].valid,
        got["shop"].state_aligned,
        got["shop"].contract_clean,
    ) == (2, 2, 1, 1)
    assert (got["air"].quarantined, got["air"].unvalidated, got["air"].contract_clean) == (1, 1, 0)
    assert got["overall"].synthesized == 4 and got["overall"].acceptance == 0.25
