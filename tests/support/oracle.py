"""A scripted agent policy for the stand-in server that plays the gold calls: a judge's calibration.

Given the tasks under test, it answers a chat request by looking up the task
from the conversation's first user message and emitting the next gold call
(one per turn), then a final answer. ``succeeds(request)`` picks, per request,
whether it plays the gold calls or gives up at once, so tests and benchmarks
control pass rates exactly (e.g. by the request's ``model`` or ``seed``). An
oracle scoring below 1.0 means the judge, not the agent, is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from envscale.environments.evaluation.records import EvalTask
from tests.support import standin

GIVE_UP = "I am sorry, I cannot help with that."


def oracle_responder(
    tasks: Iterable[EvalTask], *, succeeds: Callable[[dict[str, Any]], bool] | None = None
) -> Callable[[dict[str, Any]], standin.Reply]:
    by_instruction = {t.task.instruction: t for t in tasks}

    def respond(request: dict[str, Any]) -> standin.Reply:
        messages = request.get("messages") or []
        first = next((m for m in messages if m.get("role") == "user"), {})
        item = by_instruction.get(first.get("content") or "")
        if item is None or (succeeds is not None and not succeeds(request)):
            return standin.text(GIVE_UP)
        done = sum(1 for m in messages if m.get("role") == "tool")
        calls = item.blueprint.calls
        if done < len(calls):
            return standin.tool_call(calls[done].name, calls[done].arguments)
        outputs = " ".join(item.outputs)
        return standin.text(f"All done. {outputs}".strip())

    return respond
