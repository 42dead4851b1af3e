"""`transformers serve`, with two fixes: an unparseable tool call is a reply, not an HTTP 500,
and tool calls are read by envscale's rule (``chat_template.tool_call_function``).

transformers 5.x parses tool calls with the tokenizer's response template and
raises when the model's `<tool_call>` JSON is broken (e.g. cut off by
max_tokens); the server then answers 500, which a client cannot tell from a
dead server. Here the raw text comes back as the message content instead, so
envscale records it as a broken tool call on the trajectory.

    python -m envscale.models.serve_entry serve MODEL_DIR [transformers serve options]
"""

from __future__ import annotations

import logging
import sys
from typing import Any

log = logging.getLogger("envscale.serve")


def _lenient(parse: Any) -> Any:
    def parse_assistant_message(
        processor: Any,
        model: Any,
        generated_ids: Any,
        input_ids: Any,
        cleaned_content: str = "",
        tools: Any = None,
    ) -> Any:
        try:
            return parse(processor, model, generated_ids, input_ids, cleaned_content, tools)
        except Exception as exc:  # the model's output, not the server, is broken
            log.warning("unparseable assistant output returned as text: %s", exc)
            tokenizer = getattr(processor, "tokenizer", processor)
            raw = cleaned_content or tokenizer.decode(generated_ids, skip_special_tokens=True)
            return raw, None, None

    return parse_assistant_message


def _tool_call(value: Any) -> Any:
    """transformers' ``_normalize_tool_call`` with envscale's rule (``tool_call_function``).

    Upstream raises KeyError on a call without ``arguments`` (the call was then lost
    to the text fallback) and escapes non-ASCII, unlike the training template.
    """
    from transformers.cli.serving.utils import ToolCall

    from envscale.models.chat_template import tool_call_function

    function = tool_call_function((value or {}).get("function"))
    if function is None:  # no name: unparseable, the caller returns the text
        raise ValueError(f"tool call without a name: {value!r}")
    return ToolCall(**function)


def patch() -> None:
    from transformers.cli.serving import chat_completion, response, utils

    lenient = _lenient(utils.parse_assistant_message)
    for module in (utils, chat_completion, response):
        module.parse_assistant_message = lenient
    # read as a global by both the full-message and the streaming parsers in utils
    utils._normalize_tool_call = _tool_call


def main() -> int:
    from envscale.lifeline import watch_parent

    watch_parent()  # no orphan server when the run that started it is killed (SIGKILL included)
    patch()
    from transformers.cli.transformers import main as transformers_main

    sys.argv[0] = "transformers"
    return transformers_main() or 0


if __name__ == "__main__":
    sys.exit(main())
