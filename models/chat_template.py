"""envscale's one tool-aware chat template, shared by training and serving.

ChatML in the Hermes/Qwen style: tools in the system turn (``<tools>…</tools>``),
assistant tool calls as ``<tool_call>{"name": …, "arguments": {…}}</tool_call>``,
tool results as ``<tool_response>…</tool_response>`` in a user turn. The
template marks what the assistant writes with ``{% generation %}`` so TRL's
``assistant_only_loss=True`` puts loss on tool calls and replies only. vLLM's
and SGLang's ``hermes`` tool parsers read its output; ``RESPONSE_TEMPLATE`` lets
``transformers serve`` (and ``tokenizer.parse_response``) parse it too.
"""

from __future__ import annotations

import json
import re
import uuid
from functools import cache
from pathlib import Path
from typing import Any

TEMPLATE_PATH = Path(__file__).with_name("chat_template.jinja")
TEMPLATE_ID = "envscale-chatml-tools-v1"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = (IM_START, IM_END)

# transformers >= 5.13 declarative response parser (see transformers/utils/chat_parsing):
# saved into tokenizer_config.json, read by `transformers serve` to return OpenAI tool_calls.
RESPONSE_TEMPLATE: dict[str, Any] = {
    "defaults": {"role": "assistant"},
    "start_anchor": f"{IM_START}assistant\n",
    "fields": {
        "tool_calls": {
            # \s* swallows the newline between calls so it cannot open an empty content region.
            "open_pattern": r"\s*<tool_call>",
            "close": "</tool_call>",
            "repeats": True,
            "content": "json",
            "transform": {"type": "function", "function": "{content}"},
        },
        "content": {
            "close_pattern": r"\s*(?:<\|im_end\|>|<\|endoftext\|>)",
            "content": "text",
        },
    },
}

_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


@cache
def chat_template() -> str:
    """The Jinja source (read once)."""
    return TEMPLATE_PATH.read_text(encoding="utf-8")


def apply_template(tokenizer: Any) -> Any:
    """Give ``tokenizer`` envscale's template, response parser and ChatML special tokens; returns it.

    Adds ``<|im_start|>``/``<|im_end|>`` as special tokens when missing (the caller
    must then resize the model's embeddings: ``len(tokenizer)`` grows), and makes
    ``<|im_end|>`` the eos token so generation stops at the end of a turn.
    """
    missing = [t for t in SPECIAL_TOKENS if t not in tokenizer.get_vocab()]
    if missing:
        tokenizer.add_special_tokens({"additional_special_tokens": missing})
    tokenizer.chat_template = chat_template()
    tokenizer.response_template = RESPONSE_TEMPLATE
    tokenizer.eos_token = IM_END
    if tokenizer.pad_token is None:
        tokenizer.pad_token = IM_END
    return tokenizer


def has_template(tokenizer: Any) -> bool:
    """Whether ``tokenizer`` already carries envscale's template."""
    return getattr(tokenizer, "chat_template", None) == chat_template()


def normalize_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI messages with every tool-call ``arguments`` as a dict (the template accepts both)."""
    out = []
    for message in messages:
        calls = message.get("tool_calls")
        if calls:
            message = {**message, "tool_calls": [_call_with_dict_args(c) for c in calls]}
        out.append(message)
    return out


def render(
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | str | None = None,
    *,
    add_generation_prompt: bool = False,
) -> str:
    """Render a conversation to text without a tokenizer (same Jinja environment as transformers)."""
    from transformers.utils.chat_template_utils import render_jinja_template

    if isinstance(tools, str):
        tools = json.loads(tools)
    rendered, _ = render_jinja_template(
        conversations=[messages],
        tools=tools or None,
        chat_template=chat_template(),
        add_generation_prompt=add_generation_prompt,
    )
    return rendered[0]


def parse_assistant_output(text: str) -> dict[str, Any]:
    """Generated text → an OpenAI assistant message (``content`` and ``tool_calls``).

    A ``<tool_call>`` block that is not valid JSON with a ``name`` stays in the
    content, so nothing the model wrote is lost.
    """
    text = text.split(IM_END, 1)[0]
    calls: list[dict[str, Any]] = []
    kept: list[str] = []
    last = 0
    for match in _TOOL_CALL.finditer(text):
        call = _parse_call(match.group(1))
        kept.append(text[last : match.start()])
        if call is None:
            kept.append(match.group(0))
        else:
            calls.append(call)
        last = match.end()
    kept.append(text[last:])
    content = "".join(kept).strip()
    message: dict[str, Any] = {"role": "assistant", "content": content or None}
    if calls:
        message["tool_calls"] = calls
    return message


def tool_call_function(value: Any) -> dict[str, str] | None:
    """A parsed ``<tool_call>`` body → OpenAI ``{"name", "arguments"}`` (a JSON string); None without a name.

    The one rule for ``parse_assistant_output`` and ``transformers serve``
    (serve_entry): missing arguments are ``{}``, and non-ASCII is kept as the
    template renders it in training (``ensure_ascii=False``).
    """
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None
    arguments = value.get("arguments", value.get("parameters"))
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return {"name": value["name"], "arguments": arguments}


def _parse_call(body: str) -> dict[str, Any] | None:
    try:
        function = tool_call_function(json.loads(body))
    except json.JSONDecodeError:
        return None
    if function is None:
        return None
    return {"id": f"call_{uuid.uuid4().hex[:24]}", "type": "function", "function": function}


def _call_with_dict_args(call: dict[str, Any]) -> dict[str, Any]:
    function = call.get("function", call)
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            return call  # left as text: the template renders strings verbatim
    function = {**function, "arguments": arguments}
    return {**call, "function": function} if "function" in call else function
