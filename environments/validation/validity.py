"""Stage 1, validity control: a well-formed conversation whose every call is a real, valid call."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from envscale.environments.runtime.contracts import EnvTool
from envscale.environments.synthesis.records import Trajectory
from envscale.environments.validation.records import ParsedCall, Verdict
from envscale.environments.validation.repetition import ngram_repetition_ratio

ROLES = ("system", "user", "assistant", "tool")
# Terminations that mean the conversation was cut off rather than finished.
_CUT_OFF = ("turn_limit", "repeated_failure", "repetition")


class ArgumentValidators:
    """One compiled jsonschema validator per tool, built once per environment."""

    def __init__(self, tools: Mapping[str, EnvTool]) -> None:
        from jsonschema.validators import validator_for

        self._validators = {}
        for name, tool in tools.items():
            cls = validator_for(tool.parameters)
            self._validators[name] = cls(tool.parameters)

    def first_error(self, name: str, arguments: dict[str, Any]) -> str | None:
        error = next(iter(self._validators[name].iter_errors(arguments)), None)
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        return f"{where}: {error.message}"[:500]


def parse_calls(messages: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> list[ParsedCall]:
    """Every assistant tool call in order; arguments None when they do not parse to an object."""
    calls: list[ParsedCall] = []
    for m_index, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            function = function if isinstance(function, dict) else {}
            raw = function.get("arguments")
            calls.append(
                ParsedCall(
                    index=len(calls),
                    message=m_index,
                    call_id=call.get("id") if isinstance(call, dict) else None,
                    name=str(function.get("name") or ""),
                    raw_arguments=raw,
                    arguments=_parse_arguments(raw),
                )
            )
    return calls


def _parse_arguments(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, dict):
        return raw
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}  # a call with no arguments
    if not isinstance(raw, str):
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def check_role_order(messages: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> dict[str, Any] | None:
    """Evidence of the first role-order violation, or None when the order is sound."""
    pending: list[str | None] = []  # tool_call ids still to be answered
    previous: dict[str, Any] | None = None
    seen_user = False
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None

        def bad(why: str, index: int = i, got: Any = role) -> dict[str, Any]:
            return {"message": index, "role": got, "problem": why}

        if role not in ROLES:
            return bad("unknown role")
        if role == "system":
            if i != 0:
                return bad("system message after the start")
        elif not seen_user and role != "user":
            return bad("conversation must open with a user message")
        if role == "tool":
            if not pending:
                return bad("tool message answers no pending tool call")
            call_id = message.get("tool_call_id")
            if call_id is not None and call_id in pending:
                pending.remove(call_id)
            elif call_id is None or None in pending:
                pending.pop(0)
            else:
                return bad(f"tool message answers unknown tool_call_id {call_id!r}")
        elif pending:
            return bad(f"{len(pending)} tool call(s) left unanswered before a {role} message")
        if role == "user":
            if previous is not None and previous.get("role") == "user":
                return bad("two user messages in a row")
            seen_user = True
        if role == "assistant":
            calls = message.get("tool_calls") or []
            if previous is not None and previous.get("role") == "assistant":
                return bad("assistant reply follows an assistant reply without a tool result or user turn")
            pending = [c.get("id") if isinstance(c, dict) else None for c in calls]
        previous = message
    if pending:
        return {"message": len(messages) - 1, "role": "assistant", "problem": "tool call(s) never answered"}
    return None


def check_validity(
    trajectory: Trajectory,
    tools: Mapping[str, EnvTool],
    validators: ArgumentValidators,
    *,
    ngram_size: int,
    max_repetition_ratio: float,
    max_messages: int,
    max_chars: int,
) -> tuple[Verdict | None, list[ParsedCall]]:
    """Stage 1. Returns (rejection or None, the parsed calls)."""
    tid = trajectory.trajectory_id
    messages = trajectory.messages
    problem = check_role_order(messages)
    if problem is not None:
        return Verdict.reject(tid, "validity", "bad_role_order", **problem), []
    calls = parse_calls(messages)
    for call in calls:
        if call.arguments is None:
            return Verdict.reject(tid, "validity", "unparseable_arguments", call=call.evidence()), calls
        if call.name not in tools:
            return Verdict.reject(
                tid, "validity", "unknown_tool", call=call.evidence(), known=sorted(tools)[:50]
            ), calls
        error = validators.first_error(call.name, call.arguments)
        if error is not None:
            return Verdict.reject(
                tid, "validity", "schema_invalid_arguments", call=call.evidence(), error=error
            ), calls
    assistant_text = [m.get("content") for m in messages if m.get("role") == "assistant"]
    text = "\n".join(t for t in assistant_text if isinstance(t, str))
    ratio = ngram_repetition_ratio(text, ngram_size)
    if ratio > max_repetition_ratio:
        return (
            Verdict.reject(
                tid,
                "validity",
                "repetition",
                ratio=round(ratio, 4),
                threshold=max_repetition_ratio,
                ngram_size=ngram_size,
            ),
            calls,
        )
    n_chars = sum(len(m.get("content") or "") if isinstance(m.get("content"), str) else 0 for m in messages)
    if len(messages) > max_messages or n_chars > max_chars:
        return (
            Verdict.reject(
                tid,
                "validity",
                "too_long",
                messages=len(messages),
                chars=n_chars,
                max_messages=max_messages,
                max_chars=max_chars,
            ),
            calls,
        )
    if not assistant_text:
        return Verdict.reject(tid, "validity", "too_short", messages=len(messages)), calls
    ending = _ending_problem(trajectory)
    if ending is not None:
        return Verdict.reject(
            tid, "validity", "improper_ending", termination=trajectory.termination, problem=ending
        ), calls
    return None, calls


def _ending_problem(trajectory: Trajectory) -> str | None:
    if trajectory.termination in _CUT_OFF:
        return f"conversation was cut off ({trajectory.termination})"
    last = trajectory.messages[-1]
    if last.get("role") == "assistant" and not last.get("tool_calls") and (last.get("content") or "").strip():
        return None  # the agent's final reply
    if last.get("role") == "user" and trajectory.termination == "user_stop":
        return None  # the user's stop signal
    return f"ends with a {last.get('role')} message without a final reply or stop signal"
