"""Dual control (τ²-bench telecom): the agent's episode plus the user's own device, kept in sync.

The agent sees and calls only its tools (the DuckDB episode); the simulated user calls its device
tools (``tau2_device.USER_TOOLS``) through ``user_call``; neither can call the other's. After every
call on either side the two are synchronised as τ²'s ``TelecomEnvironment.sync_tools`` does: the
user's surroundings read the line (active, roaming allowed, data used up) and the awaiting bill
(a payment request), and a paid request marks the bill paid on the agent's side. The state hash
covers both sides; env assertions run on either side (τ²'s ``env_type``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from envscale.environments.imports import tau2_device as dev
from envscale.environments.imports import tau2_telecom as tel
from envscale.environments.runtime.contracts import EnvTool, RowChange, ToolResult
from envscale.environments.synthesis.records import Blueprint, Task
from envscale.environments.synthesis.users import STOP, LLMUser, ScriptedUser, UserTurn
from envscale.errors import DataError
from envscale.hashing import content_hash

_SETUP_CACHE: dict[str, Any] = {}


def _setup_program(name: str) -> Any:
    """τ²'s setup-only agent functions, compiled once (never tools: the agent cannot call them)."""
    from envscale.environments.runtime.loaded import compile_program

    if name not in _SETUP_CACHE:
        program = next(p for p in tel.SETUP_PROGRAMS if p.name == name)
        tool = EnvTool(
            name=name,
            description="task setup",
            parameters=tel.SETUP_SCHEMAS[name],
            kind="write",
            writes=program.tables_written,
        )
        _SETUP_CACHE[name] = compile_program(program, tool)
    return _SETUP_CACHE[name]


class SetupError(DataError):
    """A task's initialization action could not run (the task cannot be put under test)."""


class DualControlEpisode:
    """An agent episode (``call``) and the user's device (``user_call``) over one combined state."""

    def __init__(self, episode: Any, user_state: dict[str, Any]) -> None:
        self._episode = episode
        self.device = dev.UserDevice(user_state)
        self.env_id = episode.env_id
        self.tools: tuple[EnvTool, ...] = episode.tools
        self.user_calls: list[tuple[str, dict[str, Any], bool]] = []
        self.sync()

    # -- the agent's side (the Episode protocol) ------------------------------------------
    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        result = self._episode.call(name, arguments)
        self.sync()
        return result

    def state_hash(self) -> str:
        return content_hash([self._episode.state_hash(), self.device.state_hash()])

    def diff(self) -> list[RowChange]:
        return self._episode.diff()

    def query(self, sql: str, params: dict[str, Any] | list[Any] | None = None) -> list[dict[str, Any]]:
        return self._episode.query(sql, params)

    def close(self) -> None:
        self._episode.close()

    # -- the user's side ---------------------------------------------------------------
    def user_call(self, name: str, arguments: dict[str, Any] | None = None) -> ToolResult:
        """One device tool call by the simulated user; an unknown tool or bad arguments fail, state kept."""
        arguments = arguments or {}
        before = json.dumps(self.device.state, sort_keys=True, default=str)
        try:
            content = self.device.run(name, arguments, allowed=dev.USER_TOOLS)
        except (dev.DeviceError, KeyError, AttributeError) as exc:
            self.device.state = json.loads(before)
            self.user_calls.append((name, arguments, False))
            code = "unknown_tool" if name not in dev.USER_TOOLS else "invalid_arguments"
            return ToolResult(ok=False, error=str(exc), error_code=code)
        self.user_calls.append((name, arguments, True))
        self.sync()
        return ToolResult(ok=True, content=content)

    # -- task setup, sync, assertions -----------------------------------------------------
    def setup(self, actions: tuple[dict[str, Any], ...]) -> None:
        """τ²'s initialization actions, in order, each followed by a sync; SetupError if one cannot run."""
        for action in actions:
            name, args = action["func_name"], action.get("arguments") or {}
            if action.get("env_type") == "user":
                try:
                    self.device.run(name, args, allowed=dev.SETUP)
                except dev.DeviceError as exc:
                    raise SetupError(str(exc)) from exc
            else:
                result = self._agent_setup(name, args)
                if not result.ok:
                    raise SetupError(f"{name}: {result.error}")
            self.sync()

    def _agent_setup(self, name: str, args: dict[str, Any]) -> ToolResult:
        if name in tel.SETUP_FROM_TOOLS:
            return self._episode.call(name, args)
        if name not in tel.SETUP_SCHEMAS:
            raise SetupError(f"no setup function {name!r} on the agent's side")
        return self._episode.run_program(_setup_program(name), args)

    def sync(self) -> None:
        s = self.device.s
        phone = s["phone_number"]
        if phone is None:
            return
        line = self._episode.query(tel.SYNC_LINE, {"phone_number": phone})
        if not line:
            raise SetupError(f"Wrong scenario, line not found for phone number: {phone}")
        s["line_active"] = bool(line[0]["line_active"])
        s["roaming_allowed"] = bool(line[0]["roaming_allowed"])
        s["mobile_data_usage_exceeded"] = bool(line[0]["usage_exceeded"])
        request = s["payment_request"]
        if request is not None and request.get("paid"):
            self._episode.run_program(_setup_program("set_bill_to_paid"), {"bill_id": request["bill_id"]})
            s["payment_request"] = None
        if s["payment_request"] is None:
            bills = self._episode.query(tel.SYNC_AWAITING, {"phone_number": phone})
            if bills:
                s["payment_request"] = {
                    "bill_id": bills[0]["bill_id"],
                    "amount_due": bills[0]["total_due"],
                    "paid": False,
                }

    def assertion(self, assertion: dict[str, Any]) -> bool:
        """One τ² env assertion: its function's result equals ``assert_value`` (default True)."""
        name, args = assertion["func_name"], assertion.get("arguments") or {}
        expected = assertion.get("assert_value", True)
        if assertion.get("env_type") == "user":
            got = self.device.run(name, args, allowed=dev.ASSERTIONS)
        else:
            sql = tel.ASSERTIONS.get(name)
            if sql is None:
                raise SetupError(f"no agent-side assertion {name!r}")
            rows = self._episode.query(sql, args)
            got = bool(rows and next(iter(rows[0].values())))
        return bool(got) == bool(expected)


def user_tool_schemas() -> list[dict[str, Any]]:
    """OpenAI schemas of the user's device tools (τ²'s telecom user tools, from tau2_tools.json)."""
    from envscale.environments.imports.tau2_tools import tool_schemas

    return [s for s in tool_schemas("telecom_user") if s["function"]["name"] in dev.USER_TOOLS]


def action_matched(gold: dict[str, Any], calls: list[tuple[str, dict[str, Any]]]) -> bool:
    """τ²'s Action.compare_with_tool_call over every call either side made (name, then compared args)."""
    for name, arguments in calls:
        if name != gold["name"]:
            continue
        keys = gold.get("compare_args")
        keys = list(arguments) if keys is None else keys
        if {k: v for k, v in arguments.items() if k in keys} == {
            k: v for k, v in (gold.get("arguments") or {}).items() if k in keys
        }:
            return True
    return False


def _named_tools(text: str) -> list[str]:
    """Device tools an agent message names (snake_case or spaced words), longest first, in text order."""
    low = text.lower()
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, str]] = []
    for name in sorted(dev.USER_TOOLS, key=len, reverse=True):
        for spelling in {name, name.replace("_", " ")}:
            for m in re.finditer(re.escape(spelling), low):
                span = (m.start(), m.end())
                if any(a < span[1] and span[0] < b for a, b in taken):
                    continue
                taken.append(span)
                found.append((m.start(), name))
    return list(dict.fromkeys(name for _, name in sorted(found)))


class ScriptedDeviceUser:
    """The scripted user with a phone: does what the agent tells it to do on its device.

    Every device tool the agent's message names (``toggle_roaming`` or "toggle roaming") is run once,
    in the order named, with the arguments of the task's gold user action of that name (tools that
    need arguments and have none are left out), and the user reports what the tools said. A message
    that names none is answered as by ``ScriptedUser`` (values asked for; no question = stop).
    """

    def __init__(
        self, task: Task, blueprint: Blueprint, act: Callable[..., ToolResult], gold: tuple[dict, ...]
    ) -> None:
        self.inner = ScriptedUser(task, blueprint)
        self.act = act
        self.args = {a["name"]: a.get("arguments") or {} for a in gold}

    async def open(self) -> str:
        return await self.inner.open()

    async def reply(self, agent_text: str) -> UserTurn:
        said = []
        for name in _named_tools(agent_text):
            args = self.args.get(name, {})
            result = self.act(name, args)
            said.append(f"{name}: {result.content if result.ok else result.error}")
        if said:
            return UserTurn("I did that on my phone. " + " | ".join(said))
        return await self.inner.reply(agent_text)


_DEVICE_NOTE = (
    "\n\nYou have a phone. Your tools act on it or show its state: use them when the agent asks you to do or "
    "check something on your phone, and tell the agent what they showed. Never invent what a tool would say."
)


class LLMDeviceUser(LLMUser):
    """The LLM user simulator with its device tools (τ²'s user with tools), at most ``max_calls`` rounds a turn."""

    def __init__(
        self,
        client: Any,
        task: Task,
        blueprint: Blueprint,
        act: Callable[..., ToolResult],
        tools: list[dict],
        *,
        seed: int | None = None,
        max_rounds: int = 5,
    ) -> None:
        super().__init__(client, task, blueprint, seed=seed)
        self.history[0]["content"] += _DEVICE_NOTE
        self.act = act
        self.user_tools = tools
        self.max_rounds = max_rounds

    async def reply(self, agent_text: str) -> UserTurn:
        self.history.append({"role": "user", "content": agent_text})
        for _ in range(self.max_rounds):
            result = await self.client.chat(self.history, tools=self.user_tools, seed=self.seed)
            result.raise_for_dead("user_simulator")
            self.busy_s += result.latency_s
            self.prompt_tokens += result.prompt_tokens
            self.completion_tokens += result.completion_tokens
            if result.outcome != "ok":
                break
            message = result.message or {}
            calls = message.get("tool_calls") or []
            if not calls:
                text = str(message.get("content") or "").strip()
                if not text:
                    break
                self.history.append({"role": "assistant", "content": text})
                return UserTurn(STOP, stop=True) if STOP in text else UserTurn(text)
            self.history.append(message)
            for call in calls:
                fn = call["function"]
                try:
                    args = json.loads(fn.get("arguments") or "{}")
                except ValueError:
                    args = None
                if not isinstance(args, dict):
                    outcome = ToolResult(
                        ok=False, error="invalid JSON arguments", error_code="invalid_arguments"
                    )
                else:
                    outcome = self.act(fn["name"], args)
                body = outcome.content if outcome.ok else {"error": outcome.error}
                self.history.append(
                    {"role": "tool", "tool_call_id": call["id"], "content": json.dumps(body, default=str)}
                )
        turn = await self.fallback.reply(agent_text)
        self.history.append({"role": "assistant", "content": turn.text})
        return UserTurn(turn.text, turn.stop, issue="user simulator gave no usable reply; scripted fallback")
