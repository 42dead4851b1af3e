from __future__ import annotations

import json

from envscale.models.serve_entry import _lenient


class _Tok:
    def decode(self, ids, skip_special_tokens=False):
        return "".join(ids)


def test_a_broken_tool_call_comes_back_as_text_not_an_error():
    def strict(processor, model, generated_ids, input_ids, cleaned_content="", tools=None):
        json.loads(generated_ids[0])  # what transformers' parser does with a cut-off call
        return "", None, [{"name": "x"}]

    lenient = _lenient(strict)
    assert lenient(_Tok(), None, ['{"name": "get_or'], [], "") == ('{"name": "get_or', None, None)
    assert lenient(_Tok(), None, ['{"name": "x"}'], [], "") == (
        "",
        None,
        [{"name": "x"}],
    )  # good calls untouched


def _serve_parse(monkeypatch, tiny_model_dir, generated: str):
    """What the patched `transformers serve` returns as (content, reasoning, tool_calls) for ``generated``."""
    from transformers import AutoTokenizer
    from transformers.cli.serving import chat_completion, response, utils

    from envscale.models.serve_entry import patch

    for module, name in (
        (utils, "parse_assistant_message"),
        (utils, "_normalize_tool_call"),
        (chat_completion, "parse_assistant_message"),
        (response, "parse_assistant_message"),
    ):
        monkeypatch.setattr(module, name, getattr(module, name))  # undone after the test
    patch()
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=True
    )
    prompt = prompt["input_ids"] if isinstance(prompt, dict) or hasattr(prompt, "keys") else prompt
    ids = tokenizer(generated, add_special_tokens=False)["input_ids"]
    cleaned = tokenizer.decode(ids, skip_special_tokens=True)
    return utils.parse_assistant_message(tokenizer, None, ids, prompt, cleaned)


def test_a_tool_call_without_arguments_is_served_as_a_call(monkeypatch, tiny_model_dir):
    from envscale.models.chat_template import parse_assistant_output

    text = '<tool_call>\n{"name": "a"}\n</tool_call><|im_end|>'
    _, _, calls = _serve_parse(monkeypatch, tiny_model_dir, text)
    assert [(c.name, c.arguments) for c in calls] == [("a", "{}")]
    # the pyfunc path reads it the same way
    assert parse_assistant_output(text)["tool_calls"][0]["function"] == {"name": "a", "arguments": "{}"}


def test_served_arguments_keep_non_ascii_as_trained(monkeypatch, tiny_model_dir):
    from envscale.models.chat_template import parse_assistant_output, render

    arguments = {"city": "Zürich", "note": "日本"}
    call = {"id": "c", "type": "function", "function": {"name": "weather", "arguments": arguments}}
    rendered = render([{"role": "assistant", "content": None, "tool_calls": [call]}])
    assert json.dumps(arguments, ensure_ascii=False) in rendered  # what training shows the model
    text = f'<tool_call>\n{{"name": "weather", "arguments": {json.dumps(arguments, ensure_ascii=False)}}}\n</tool_call><|im_end|>'
    _, _, calls = _serve_parse(monkeypatch, tiny_model_dir, text)
    assert calls[0].arguments == json.dumps(arguments, ensure_ascii=False)
    assert parse_assistant_output(text)["tool_calls"][0]["function"]["arguments"] == calls[0].arguments
