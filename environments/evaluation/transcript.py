"""One evaluated conversation as plain text: what the user asked, what the agent called and said, the verdict.

The demo prints one held-out task this way (``pick_example`` chooses it: one the
fine-tuned model solved and the base model did not, when there is one).
"""

from __future__ import annotations

import json
from typing import Any

from envscale.environments.evaluation.records import TrialResult

Played = tuple[TrialResult, list[dict[str, Any]]]  # a judged trial and its messages


def pick_example(tuned: dict[str, Played], base: dict[str, Played]) -> str | None:
    """The task id to show: solved by the fine-tuned model and not the base, else solved, else the first."""
    if not tuned:
        return None
    ids = sorted(tuned)
    won = [t for t in ids if tuned[t][0].passed and not (t in base and base[t][0].passed)]
    solved = [t for t in ids if tuned[t][0].passed]
    return (won or solved or ids)[0]


def transcript_lines(played: Played, *, width: int = 160) -> list[str]:
    """The conversation (system prompt left out), one line per message, long values cut at ``width``."""
    _, messages = played
    lines = []
    for m in messages:
        role = m.get("role")
        if role == "user":
            lines.append(f"  user   : {_cut(m.get('content') or '', 3 * width)}")  # the request in full
        elif role == "assistant":
            for call in m.get("tool_calls") or []:
                fn = call.get("function") or {}
                lines.append(f"  agent →  {fn.get('name')}({_cut(_args(fn.get('arguments')), width)})")
            if m.get("content"):
                lines.append(f"  agent  : {_cut(m['content'], width)}")
        elif role == "tool":
            lines.append(f"  tool  ←  {_cut(m.get('content') or '', width)}")
    return lines


def verdict_text(trial: TrialResult) -> str:
    """Why the judge passed or failed the trial, in words."""
    if trial.passed:
        how = "calls match the gold calls" if trial.read_only else "final database state = gold state"
        outcome = f"PASSED ({how})"
    elif trial.read_only:
        outcome = "FAILED (a read-only task: the calls must match the gold calls)"
    else:
        outcome = "FAILED (final database state differs from the gold state)"
    return (
        f"{outcome}; {trial.tool_calls} tool call(s), {trial.error_calls} failed, "
        f"{trial.turns} agent turn(s), ended: {trial.termination}"
    )


def example_lines(
    task_id: str,
    tuned: dict[str, Played],
    base: dict[str, Played],
    *,
    tuned_label: str,
    gold_calls: list[dict[str, Any]] | None = None,
) -> list[str]:
    """The chosen task: the fine-tuned model's conversation and verdict, the gold calls, the base model's verdict."""
    trial, _ = tuned[task_id]
    lines = [f"one held-out task ({trial.domain}, task {task_id[:12]}), played by {tuned_label}:"]
    lines += transcript_lines(tuned[task_id])
    lines.append(f"  verdict: {verdict_text(trial)}")
    if gold_calls:
        gold = "; ".join(f"{c.get('name')}({_args(c.get('arguments'))})" for c in gold_calls)
        lines.append(f"  gold calls: {_cut(gold, 240)}")
    if task_id in base:
        b_trial, b_messages = base[task_id]
        said = next(
            (m.get("content") for m in b_messages if m.get("role") == "assistant" and m.get("content")), ""
        )
        lines.append(f"  base model on the same task: {verdict_text(b_trial)}")
        if said and not b_trial.tool_calls:
            lines.append(f"    it replied: {_cut(said, 160)}")
    return lines


def _args(arguments: Any) -> str:
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return arguments
    if isinstance(arguments, dict):
        return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in arguments.items())
    return json.dumps(arguments, ensure_ascii=False)


def _cut(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"
