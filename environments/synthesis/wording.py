"""Assistant wording for reverse-mode trajectories: the final reply, written by an LLM and checked.

Reverse mode takes tool calls and results from the gold execution; only the
words the assistant says are free. An LLM (the agent endpoint) writes the final
reply from the request and the results. A reply that is empty, calls a tool,
runs too long or was cut off at max_tokens, loops, or (for a read-only task) reports none of the values the
tools returned is not used: the template reply takes its place and the reason
is kept on the trajectory as an issue (``reverse_wording_fallback``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from envscale.environments.synthesis.records import Blueprint, Task
from envscale.environments.synthesis.values import missing_values, scalars
from envscale.environments.validation.repetition import ngram_repetition_ratio

MAX_REPLY_CHARS = 800
_MAX_REPETITION = 0.5  # share of repeated 4-grams; the validation stage's default threshold

_WORDING_SYSTEM = (
    "You are a customer-support agent. You have just carried out the customer's request with your tools. "
    "Write your final reply to the customer: at most three sentences, reporting the outcome with the "
    "concrete values from the results. Do not mention tools, functions or JSON. Reply with the message only."
)


@dataclass(frozen=True, slots=True)
class Wording:
    """The final reply chosen for one trajectory, and what it cost."""

    text: str | None  # None = use the template
    fallback_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0


def wording_messages(task: Task, blueprint: Blueprint) -> list[dict[str, Any]]:
    results = [{"action": c.name, "result": c.result} for c in blueprint.calls]
    return [
        {"role": "system", "content": _WORDING_SYSTEM},
        {
            "role": "user",
            "content": f"Customer request: {task.instruction}\n"
            f"Results:\n{json.dumps(results, ensure_ascii=False, default=str)[:4000]}",
        },
    ]


def check_reply(text: str, blueprint: Blueprint) -> str | None:
    """Why ``text`` cannot be the final reply, or None when it can."""
    if not text.strip():
        return "empty reply"
    if "<tool_call>" in text or text.lstrip().startswith("{"):
        return "reply is a tool call or JSON, not words"
    if len(text) > MAX_REPLY_CHARS:
        return f"reply longer than {MAX_REPLY_CHARS} characters"
    if ngram_repetition_ratio(text, 4) > _MAX_REPETITION:
        return "reply repeats itself"
    if blueprint.read_only:
        # A read-only task is answered by what the tools found: the reply must report some of it.
        found = [v for v in scalars(blueprint.calls[-1].result) if not isinstance(v, bool)]
        if found and len(missing_values(text, found)) == len(found):
            return "reply reports none of the values the tools returned"
    return None


async def llm_wording(client: Any, task: Task, blueprint: Blueprint, *, seed: int | None = None) -> Wording:
    """Ask ``client`` for the final reply; a dead endpoint raises, anything else falls back (marked)."""
    result = await client.chat(wording_messages(task, blueprint), seed=seed)
    result.raise_for_dead("agent (reverse wording)")
    usage = {
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "requests": 1,
    }
    if result.outcome != "ok":
        return Wording(None, f"invalid_reply: {result.error}", **usage)
    if result.tool_calls:
        return Wording(None, "reply is a tool call or JSON, not words", **usage)
    if result.finish_reason == "length":
        return Wording(None, "reply cut off at max_tokens", **usage)
    text = result.content.strip()
    reason = check_reply(text, blueprint)
    return Wording(None if reason else text, reason, **usage)
