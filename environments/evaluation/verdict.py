"""Did fine-tuning teach anything? One plain line from the base and fine-tuned scores on the same tasks.

The demo ends with it: ``learned: base pass^1 X → fine-tuned Y on N held-out tasks``
when the fine-tuned model solves more, else ``NO GAIN: ...`` with the likeliest
reason read from what the fine-tuned model did (no calls, erring calls, valid
calls that miss the gold state) — never a silent 0.0 next to 0.0.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_EPS = 1e-9  # pass rates are ratios of small integers
MIN_TASKS = 8  # fewer held-out tasks than this cannot tell a gain from luck at k = 1-2


class AgentScore(BaseModel):
    """What the verdict needs of one agent's evaluation (overall, on one task set)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(description="Who was evaluated (base:<spec>, a model URI).")
    pass_1: float = Field(ge=0, le=1, description="pass^1 over the task set.")
    n_tasks: int = Field(ge=0, description="Distinct tasks played.")
    avg_calls: float = Field(0.0, ge=0, description="Mean tool calls per trial.")
    error_calls: float = Field(0.0, ge=0, le=1, description="Failed calls / all calls.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AgentScore:
        """From an evaluation table row (``tasks.evaluate.report_rows``)."""
        return cls(
            label=row["agent"],
            pass_1=row["pass^1"],
            n_tasks=row["tasks"],
            avg_calls=row.get("avg_calls") or 0.0,
            error_calls=row.get("error_calls") or 0.0,
        )


class Verdict(BaseModel):
    """The outcome in one line, and whether it is a gain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gained: bool = Field(description="The fine-tuned model's pass^1 is above the base model's.")
    line: str = Field(description="What to print.")


def learning_verdict(base: AgentScore | None, tuned: AgentScore | None) -> Verdict:
    """Compare the fine-tuned model with its base on the same held-out tasks."""
    if tuned is None:
        return Verdict(gained=False, line="NO GAIN: no fine-tuned model was evaluated")
    if base is None:
        return Verdict(
            gained=False,
            line="NO GAIN: the base model was not evaluated on the same tasks "
            "(set evaluate.compare_base = true to measure a gain)",
        )
    n = tuned.n_tasks
    if n == 0:
        return Verdict(gained=False, line="NO GAIN: no held-out tasks were evaluated")
    numbers = f"base pass^1 {base.pass_1:.3f} → fine-tuned {tuned.pass_1:.3f} on {n} held-out tasks"
    if tuned.pass_1 > base.pass_1 + _EPS:
        few = f" (only {n} tasks: too few to tell a gain from luck)" if n < MIN_TASKS else ""
        return Verdict(gained=True, line=f"learned: {numbers}{few}")
    if tuned.pass_1 + _EPS < base.pass_1:
        return Verdict(gained=False, line=f"NO GAIN: {numbers} — a regression; {_why(tuned)}")
    return Verdict(gained=False, line=f"NO GAIN: {numbers} — no task solved more often; {_why(tuned)}")


def verdict_from_rows(rows: list[dict[str, Any]]) -> Verdict:
    """The verdict of an evaluation table: its overall base row against the last overall model row."""
    overall = [r for r in rows if r.get("domain") == "overall"]
    base = next((r for r in overall if str(r["agent"]).startswith("base:")), None)
    tuned = [r for r in overall if not str(r["agent"]).startswith("base:")]
    return learning_verdict(
        AgentScore.from_row(base) if base else None,
        AgentScore.from_row(tuned[-1]) if tuned else None,
    )


def _why(tuned: AgentScore) -> str:
    """The likeliest reason, from what the fine-tuned model did."""
    if tuned.avg_calls == 0:
        return (
            "the fine-tuned model made no tool calls: training did not teach the call format "
            "(raise train.epochs / train.max_steps or train.learning_rate)"
        )
    if tuned.error_calls >= 0.5:
        return (
            f"{tuned.error_calls:.0%} of its tool calls failed (wrong tool names or arguments): "
            "more training, or tasks closer to what it was trained on"
        )
    return (
        "its calls run but miss the gold state (wrong values, missing or extra writes): "
        "the tasks need more than this training budget teaches"
    )
