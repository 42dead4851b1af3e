"""Contract on trajectories: roles, lengths, token counts, tool list.

The frame is ``environments.validation.contract_frames.trajectory_frame``.
"""

from __future__ import annotations

from typing import Any

from envscale.data_contracts.runner import SuiteFn

SUITE = "trajectories"
# An optional system turn, a user opening, then user/assistant/tool turns.
ROLE_SEQUENCE = r"^(?:system )?user(?: (?:user|assistant|tool))*$"


def trajectories_suite(*, max_messages: int, max_chars: int, max_usage_tokens: int) -> SuiteFn:
    """The expectations, with the limits from ``ValidateSettings``."""

    def expectations(gx: Any) -> list[Any]:
        e = gx.expectations
        return [
            e.ExpectColumnValuesToNotBeNull(column="trajectory_id"),
            e.ExpectColumnValuesToBeUnique(column="trajectory_id"),
            e.ExpectColumnValuesToMatchRegex(column="roles", regex=ROLE_SEQUENCE),
            e.ExpectColumnValuesToBeBetween(column="n_messages", min_value=2, max_value=max_messages),
            e.ExpectColumnValuesToBeBetween(column="n_chars", min_value=1, max_value=max_chars),
            e.ExpectColumnValuesToBeBetween(column="prompt_tokens", min_value=0, max_value=max_usage_tokens),
            e.ExpectColumnValuesToBeBetween(
                column="completion_tokens", min_value=0, max_value=max_usage_tokens
            ),
            e.ExpectColumnValuesToBeBetween(column="n_tools", min_value=1),
        ]

    return expectations
