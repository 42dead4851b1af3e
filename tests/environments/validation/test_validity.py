"""Role order checks and tool-call parsing of the validity stage."""

from __future__ import annotations

import pytest

from envscale.environments.validation.validity import check_role_order, parse_calls


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
