"""GRPO glue: envscale environments as TRL ``environment_factory`` classes (tools = methods, reward = judge).

TRL 1.16 turns every public method of the environment class into a tool (its JSON
Schema comes from the signature's type hints and a Google-style docstring, via
``transformers.get_json_schema``), calls ``reset(**row)`` before each rollout (a
returned string is appended to the last user message), and ``get_reward()`` once
per finished rollout. An environment's tools are data (``EnvTool``), so the class
is built per environment: one method per tool with a synthesized signature and
docstring. Episodes run on the gym API (``environments.rl.TaskEnv``).
"""

from __future__ import annotations

import inspect
import json
import keyword
from collections.abc import Callable
from typing import Any

from envscale.environments.rl import TaskEnv
from envscale.environments.runtime.contracts import EnvTool
from envscale.errors import DataError

RESERVED = frozenset({"reset", "get_reward"})
_JSON_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list,
    "object": dict,
}


class RLToolError(DataError):
    """A tool that cannot become a TRL method (its name or a parameter name is not a usable identifier)."""


def _py_type(schema: dict[str, Any]) -> type:
    kind = schema.get("type")
    if isinstance(kind, list):  # e.g. ["string", "null"]: the first non-null type
        kind = next((k for k in kind if k != "null"), "string")
    return _JSON_TYPES.get(str(kind), str)


def _tool_method(tool: EnvTool) -> Callable[..., str]:
    """A method named after ``tool`` whose signature and docstring give TRL the tool's schema."""
    if not tool.name.isidentifier() or keyword.iskeyword(tool.name) or tool.name.startswith("_"):
        raise RLToolError(f"tool {tool.name!r} is not a usable method name")
    if tool.name in RESERVED:
        raise RLToolError(f"tool {tool.name!r} clashes with TRL's reserved environment method")
    props: dict[str, dict[str, Any]] = tool.parameters.get("properties", {}) or {}
    required = set(tool.parameters.get("required", []) or [])
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict[str, Any] = {"return": str}
    doc_args = []
    # required first: Python signatures need defaults last
    for name in sorted(props, key=lambda n: n not in required):
        if not name.isidentifier() or keyword.iskeyword(name):
            raise RLToolError(f"tool {tool.name!r}: parameter {name!r} is not a usable argument name")
        hint = _py_type(props[name])
        default = inspect.Parameter.empty if name in required else None
        params.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint)
        )
        annotations[name] = hint
        desc = " ".join(str(props[name].get("description") or f"The {name}.").split())
        doc_args.append(f"    {name}: {desc}")

    def method(self: _EpisodeTools, **arguments: Any) -> str:
        arguments = {k: v for k, v in arguments.items() if v is not None}
        step = self._env.step(tool.name, arguments)
        result = step.observation
        return json.dumps(result.content if result.ok else {"error": result.error}, default=str)

    description = " ".join(tool.description.split()) or f"The {tool.name} tool."
    method.__name__ = method.__qualname__ = tool.name
    method.__doc__ = description + ("\n\nArgs:\n" + "\n".join(doc_args) if doc_args else "")
    method.__signature__ = inspect.Signature(params, return_annotation=str)  # type: ignore[attr-defined]
    method.__annotations__ = annotations
    return method


class _EpisodeTools:
    """Base of the generated classes: reset to a task by id, reward = the judge's verdict."""

    _make_env: Callable[[], TaskEnv]

    def __init__(self) -> None:
        self._env = type(self)._make_env()

    def reset(self, task_id: str, **_row: Any) -> str:
        """Open a fresh episode for ``task_id`` (a dataset column) and return the user's instruction."""
        return self._env.reset(task_id).instruction

    def get_reward(self) -> float:
        """1.0 when the final state (and, for read-only tasks, the calls) match the gold; else 0.0."""
        return self._env.verdict().reward


def environment_class(make_env: Callable[[], TaskEnv], tools: tuple[EnvTool, ...], name: str) -> type:
    """A TRL environment class over ``make_env()`` episodes, one method per tool."""
    namespace: dict[str, Any] = {t.name: _tool_method(t) for t in tools}
    namespace["_make_env"] = staticmethod(make_env)
    safe = "".join(c if c.isalnum() else "_" for c in name)
    return type(f"EnvscaleEnv_{safe}", (_EpisodeTools,), namespace)


def environment_factories(task_set: Any) -> dict[str, type]:
    """``{env_id: class}`` for TRL's dict ``environment_factory`` (rows select theirs by ``environment``)."""
    out: dict[str, type] = {}
    for env_id, (manifest, _db) in task_set.envs.items():
        out[env_id] = environment_class(
            lambda env_id=env_id: TaskEnv.from_task_set(task_set, env_id), tuple(manifest.tools), env_id
        )
    return out


def rl_rows(task_set: Any, policy: str | None = None) -> list[dict[str, Any]]:
    """Dataset rows: the policy as system prompt, an empty user turn that ``reset`` fills with the task."""
    from envscale.environments.synthesis.interplay import AGENT_SYSTEM

    system = policy or AGENT_SYSTEM
    return [
        {
            "prompt": [{"role": "system", "content": system}, {"role": "user", "content": ""}],
            "task_id": item.task_id,
            "environment": item.blueprint.env_id,
        }
        for item in task_set.tasks
    ]


def set_response_template(tokenizer: Any) -> Any:
    """envscale's template writes Qwen-style ``<tool_call>{json}</tool_call>``: parse responses the same way."""
    from trl.chat_template_utils import qwen3_template

    if getattr(tokenizer, "response_template", None) is None:
        tokenizer.response_template = qwen3_template
    return tokenizer


__all__ = ["RLToolError", "environment_class", "environment_factories", "rl_rows", "set_response_template"]
