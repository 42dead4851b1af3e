"""Intents: a user instruction per blueprint, carrying every value the agent needs.

The template writer is deterministic and always faithful. The LLM writer (the
paper's setting) is checked: every required argument value must appear in its
text, else the template is used and the fallback reason recorded.
"""

from __future__ import annotations

import json
import re
from typing import Any

from envscale.environments.schema.naming import bare_tool_name
from envscale.environments.synthesis import phrasing
from envscale.environments.synthesis.records import Blueprint, Task
from envscale.environments.synthesis.values import missing_values, required_values
from envscale.hashing import content_hash


def _humanize(name: str) -> str:
    return re.sub(r"[_\s]+", " ", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)).strip().lower()


def template_instruction(blueprint: Blueprint) -> str:
    """The customer's words for a goal plan (``phrasing``); for a random walk, one sentence per call."""
    if blueprint.planner == "goal":
        return phrasing.instruction(blueprint)
    needed = required_values(blueprint)
    sentences = []
    for i, call in enumerate(blueprint.calls):
        given = [
            f"{_humanize(k)} {_show(v)}" for k, v in call.arguments.items() if k in needed and needed[k] == v
        ]
        lead = "I want to" if i == 0 else "Then"
        action = _humanize(call.name)
        sentences.append(f"{lead} {action}" + (f" with {', '.join(given)}" if given else "") + ".")
    return " ".join(sentences)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)


def make_task(
    blueprint: Blueprint, instruction: str, writer: str, fallback_reason: str | None = None
) -> Task:
    return Task(
        task_id=content_hash({"bp": blueprint.blueprint_id, "instruction": instruction}),
        blueprint_id=blueprint.blueprint_id,
        env_id=blueprint.env_id,
        instruction=instruction,
        writer=writer,  # type: ignore[arg-type]
        fallback_reason=fallback_reason,
    )


def template_task(blueprint: Blueprint) -> Task:
    return make_task(blueprint, template_instruction(blueprint), "template")


_WRITER_SYSTEM = (
    "You write the request a customer would send to a support agent. Given the actions the agent must "
    "take (tool calls with their arguments), write ONE short first-person request that asks for all of "
    "them in order and states every listed value verbatim. Do not mention tools or functions. "
    "Reply with the request only."
)


_GOAL_WRITER_SYSTEM = (
    "You write the request a customer would send to a support agent. You get what the customer wants "
    "(their goals, in order) and the facts they know. Write ONE short first-person request that asks for "
    "every goal and states every fact verbatim. State no other id or number: the agent looks the rest up. "
    "Do not mention tools or functions. Reply with the request only."
)


def _writer_brief(blueprint: Blueprint, needed: dict[str, Any]) -> str:
    """What the writer LLM is told: the goals and facts (goal plans), or the calls (walks)."""
    values = "\nValues to state verbatim: " + ", ".join(_show(v) for v in needed.values())
    if blueprint.planner != "goal":
        actions = [{"action": c.name, "arguments": c.arguments} for c in blueprint.calls]
        return "Actions:\n" + json.dumps(actions, ensure_ascii=False, indent=1) + values
    goals = [
        {
            "wants": _humanize(bare_tool_name(g.tool)),  # the writer never sees a catalog hash
            "about": g.about,
            **({"not_allowed_because": g.refused} if g.refused else {}),
        }
        for g in blueprint.goals
    ]
    facts = [{"fact": _humanize(f.name), "value": f.value, "about": f.about} for f in blueprint.facts]
    return (
        "Goals:\n"
        + json.dumps(goals, ensure_ascii=False, indent=1)
        + "\nFacts the customer knows:\n"
        + json.dumps(facts, ensure_ascii=False, indent=1, default=str)
        + values
        + "\n(The customer does not know whether a goal is allowed: they simply ask.)"
    )


async def llm_task(client: Any, blueprint: Blueprint, *, seed: int | None = None) -> Task:
    """The writer LLM's instruction, or the template when a required value is missing (marked)."""
    needed = required_values(blueprint)
    messages = [
        {"role": "system", "content": _GOAL_WRITER_SYSTEM if blueprint.planner == "goal" else _WRITER_SYSTEM},
        {"role": "user", "content": _writer_brief(blueprint, needed)},
    ]
    result = await client.chat(messages, seed=seed)
    result.raise_for_dead("task_writer")
    text = result.content.strip()
    if result.outcome != "ok" or not text:
        reason = f"invalid_reply: {result.error or 'empty content'}"
    else:
        missing = missing_values(text, needed.values())
        if not missing:
            return make_task(blueprint, text, "llm")
        reason = "missing_values: " + ", ".join(_show(v) for v in missing)[:300]
    fallback = template_task(blueprint)
    return fallback.model_copy(update={"fallback_reason": reason})
