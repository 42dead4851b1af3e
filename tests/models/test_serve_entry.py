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
