"""The shared chat template: rendering, tool-call parsing, and the assistant-only loss mask."""

from __future__ import annotations

import json

from envscale.models.chat_template import RESPONSE_TEMPLATE, parse_assistant_output, render
from envscale.models.tiny import CORPUS_MESSAGES, CORPUS_TOOLS


def _conversation() -> list[dict]:
    return [
        {"role": "system", "content": "You are a helpful shop assistant."},
        {"role": "user", "content": "Cancel order 42 and tell me the weather in Paris."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                # one call with arguments as a JSON string, one as a dict: both must render the same way
                {
                    "id": "a",
                    "type": "function",
                    "function": {"name": "cancel_order", "arguments": '{"order_id": 42}'},
                },
                {
                    "id": "b",
                    "type": "function",
                    "function": {"name": "weather", "arguments": {"city": "Paris"}},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": '{"status": "cancelled"}'},
        {"role": "tool", "tool_call_id": "b", "content": "sunny"},
        {"role": "assistant", "content": "Done: order 42 is cancelled and Paris is sunny."},
    ]


def test_render_puts_tools_in_system_turn_and_tool_results_in_one_user_turn() -> None:
    text = render(_conversation(), CORPUS_TOOLS)
    system = text.split("<|im_end|>")[0]
    assert system.startswith("<|im_start|>system\nYou are a helpful shop assistant.")
    assert json.dumps(CORPUS_TOOLS[0]) in system.split("<tools>\n")[1]
    assert '<tool_call>\n{"name": "cancel_order", "arguments": {"order_id": 42}}\n</tool_call>' in text
    assert '<tool_call>\n{"name": "weather", "arguments": {"city": "Paris"}}\n</tool_call>' in text
    # consecutive tool results share one user turn
    assert text.count("<|im_start|>user") == 2
    assert (
        '<|im_start|>user\n<tool_response>\n{"status": "cancelled"}\n</tool_response>\n<tool_response>\nsunny'
        in text
    )
    assert render(_conversation()[1:2], add_generation_prompt=True).endswith("<|im_start|>assistant\n")


def test_tool_json_strings_are_accepted() -> None:
    assert render(CORPUS_MESSAGES, json.dumps(CORPUS_TOOLS)) == render(CORPUS_MESSAGES, CORPUS_TOOLS)


def test_render_then_parse_round_trips_tool_calls() -> None:
    text = render(_conversation()[:3])
    generated = text.split("<|im_start|>assistant\n")[-1]
    message = parse_assistant_output(generated)
    assert message["content"] is None
    calls = [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in message["tool_calls"]]
    assert calls == [("cancel_order", {"order_id": 42}), ("weather", {"city": "Paris"})]
    # a broken call stays visible as content rather than vanishing
    broken = parse_assistant_output("<tool_call>{not json}</tool_call><|im_end|>")
    assert "tool_calls" not in broken and "{not json}" in broken["content"]


def test_assistant_mask_covers_only_assistant_calls_and_replies(tiny_model_dir) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    out = tokenizer.apply_chat_template(
        _conversation(),
        tools=CORPUS_TOOLS,
        tokenize=True,
        return_dict=True,
        return_assistant_tokens_mask=True,
    )
    ids, mask = out["input_ids"], out["assistant_masks"]
    trained = tokenizer.decode([i for i, m in zip(ids, mask, strict=True) if m])
    ignored = tokenizer.decode([i for i, m in zip(ids, mask, strict=True) if not m])
    assert trained == (
        '<tool_call>\n{"name": "cancel_order", "arguments": {"order_id": 42}}\n</tool_call>\n'
        '<tool_call>\n{"name": "weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>'
        "Done: order 42 is cancelled and Paris is sunny.<|im_end|>"
    )
    for text in (
        "shop assistant",
        "<tools>",
        "Cancel order 42",
        "<tool_response>",
        "sunny\n</tool_response>",
    ):
        assert text in ignored and text not in trained
    assert "<|im_start|>assistant\n" in ignored  # the prompt header is context, not a target


def test_transformers_response_parser_reads_the_template_output(tiny_model_dir) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert (
        tokenizer.response_template == RESPONSE_TEMPLATE
    )  # saved with the tokenizer for `transformers serve`
    prefix = tokenizer.apply_chat_template(_conversation()[:2], add_generation_prompt=True, tokenize=False)
    parsed = tokenizer.parse_response(
        '<tool_call>\n{"name": "cancel_order", "arguments": {"order_id": 42}}\n</tool_call><|im_end|>',
        prefix=prefix,
    )
    assert parsed["tool_calls"] == [
        {"type": "function", "function": {"name": "cancel_order", "arguments": {"order_id": 42}}}
    ]
