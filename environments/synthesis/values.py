"""Which argument values a task must carry, and whether a text carries them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from envscale.environments.synthesis.records import Blueprint


def scalars(value: Any) -> Iterator[Any]:
    """Every scalar inside a JSON value (dict values, list items)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from scalars(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from scalars(v)
    elif value is not None:
        yield value


def required_values(blueprint: Blueprint) -> dict[str, Any]:
    """``param → value`` the user must give: arguments not determined by an earlier call's result.

    Booleans are left out (a sentence states them in words, not as 'True'). A goal-planned
    blueprint says it outright: its facts (the same name twice, as in two goals, gets a second key).
    """
    if blueprint.planner == "goal":
        facts: dict[str, Any] = {}
        for fact in blueprint.facts:
            key = fact.name if fact.name not in facts else f"{fact.name} ({fact.goal + 1})"
            facts[key] = fact.value
        return facts
    produced: set[str] = set()
    out: dict[str, Any] = {}
    for call in blueprint.calls:
        for name, value in call.arguments.items():
            for v in scalars(value):
                if isinstance(v, bool):
                    continue
                if _norm(v) in produced:
                    continue  # the agent learns it from an earlier tool result
                out.setdefault(name, v)
        # A single row (or a write's new row) determines its values; a list of many rows does not
        # (the user must still say which customer they mean).
        result = call.result
        if isinstance(result, list) and len(result) > 1:
            continue
        produced.update(_norm(v) for v in scalars(result))
    return out


def missing_values(text: str, values: Iterable[Any]) -> list[Any]:
    """Values that do not appear in ``text`` (case-insensitive; 12.0 matches '12')."""
    low = text.lower()
    return [v for v in values if not any(form in low for form in _forms(v))]


def _forms(value: Any) -> list[str]:
    if isinstance(value, float):
        forms = [repr(value), f"{value:g}", f"{value:.2f}"]
        if value.is_integer():
            forms.append(str(int(value)))
        return [f.lower() for f in forms]
    return [str(value).lower()]


def _norm(value: Any) -> str:
    return str(value).strip().lower()


def mentioned_params(text: str, names: Iterable[str]) -> list[str]:
    """Parameter names a message asks about ('order_id', 'order id', 'Order ID')."""
    low = text.lower()
    words = set(re.findall(r"[a-z0-9]+", low))
    found = []
    for name in names:
        spaced = name.replace("_", " ").lower()
        if name.lower() in low or spaced in low:
            found.append(name)
            continue
        parts = [p for p in re.split(r"[_\W]+", name.lower()) if p and p not in ("id", "the")]
        if parts and all(p in words for p in parts):
            found.append(name)
    return found
