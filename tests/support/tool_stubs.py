"""Tools as the builder and schema inference read them: any object with these four attributes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


def tool_stub(
    name: str,
    props: dict[str, Any],
    required: list[str],
    kind: str = "unknown",
    description: str | None = None,
) -> SimpleNamespace:
    """A tool taking an object of ``props`` (``required`` among them); described by its name unless told."""
    return SimpleNamespace(
        name=name,
        description=name if description is None else description,
        kind=kind,
        parameters={"type": "object", "properties": props, "required": required},
    )
