"""Transcripts: which task the demo shows, one line per message with calls and results, and the verdict in words."""

from __future__ import annotations

from envscale.environments.evaluation.transcript import (
    example_lines,
    pick_example,
    transcript_lines,
    verdict_text,
)
from tests.support.eval_trials import trial

MESSAGES = [
    {"role": "system", "content": "You are an agent."},
    {"role": "user", "content": "Cancel order o1."},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"function": {"name": "cancel_order", "arguments": '{"order_id": "o1"}'}}],
    },
    {"role": "tool", "content": '{"status": "cancelled"}'},
    {"role": "assistant", "content": "Done:   order o1 is\ncancelled."},
]


def test_pick_example_prefers_a_win_over_the_base_then_any_solved():
    tuned = {
        "a": (trial("a", passed=True), []),
        "b": (trial("b", passed=True), []),
        "c": (trial("c", passed=False), []),
    }
    assert pick_example(tuned, {"a": (trial("a", passed=True), [])}) == "b"
    assert pick_example(tuned, {k: (trial(k, passed=True), []) for k in tuned}) == "a"
    assert pick_example({"c": tuned["c"]}, {}) == "c" and pick_example({}, {}) is None


def test_transcript_lines_leave_out_the_system_prompt_and_cut_long_values():
    lines = transcript_lines((trial("a"), MESSAGES))
    assert lines == [
        "  user   : Cancel order o1.",
        '  agent →  cancel_order(order_id="o1")',
        '  tool  ←  {"status": "cancelled"}',
        "  agent  : Done: order o1 is cancelled.",
    ]
    assert (
        transcript_lines((trial("a"), MESSAGES), width=10)[2] == '  tool  ←  {"status"…'
    )  # width 10: 9 chars and the ellipsis


def test_verdict_text():
    assert verdict_text(trial("a")).startswith(
        "PASSED (final database state = gold state); 1 tool call(s), 0 failed"
    )
    assert verdict_text(trial("a", passed=False, read_only=True)).startswith("FAILED (a read-only task")


def test_example_lines_show_gold_calls_and_the_base_models_reply():
    base = trial("a", passed=False, tool_calls=0)
    lines = example_lines(
        "a",
        {"a": (trial("a"), MESSAGES)},
        {"a": (base, [{"role": "assistant", "content": "I cannot help."}])},
        tuned_label="agent v2",
        gold_calls=[{"name": "cancel_order", "arguments": {"order_id": "o1"}}],
    )
    assert lines[0] == "one held-out task (shop, task a), played by agent v2:"
    assert '  gold calls: cancel_order(order_id="o1")' in lines
    assert lines[-2].startswith("  base model on the same task: FAILED")
    assert lines[-1] == "    it replied: I cannot help."
