"""The records evaluation produces: tasks under test, trial outcomes, metrics, the report, the decision."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from envscale.environments.synthesis.records import Blueprint, Task


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


TaskSource = Literal["heldout", "tau_bench", "tau2"]


class EvalTask(_Record):
    """One task under test: the instruction, its gold blueprint, and where it comes from."""

    task: Task = Field(description="The user instruction.")
    blueprint: Blueprint = Field(description="Gold calls and gold final state.")
    domain: str = Field(description="Domain the metrics group it under (domain name, or tau_bench_<domain>).")
    source: TaskSource = Field(
        description="heldout = a generated environment never trained on; tau_bench = imported."
    )
    exact_reads: bool = Field(
        True,
        description="Read-only tasks must match the gold calls exactly (τ-bench's own rule does not ask it).",
    )
    outputs: tuple[str, ...] = Field(
        (), description="Values the agent's replies must contain (τ-bench's 'outputs'), case-insensitive."
    )
    system_prompt: str | None = Field(
        None,
        description="The agent's system prompt for this task (τ²: the domain's policy.md); None: the default.",
    )
    not_judged: tuple[str, ...] = Field(
        (),
        description="Criteria envscale does not judge (τ² natural-language assertions): reported, never passed.",
    )
    check_state: bool = Field(
        True, description="The final state must be the gold state (τ²: DB in the reward basis)."
    )
    user_state: dict[str, Any] | None = Field(
        None,
        description="Dual control (τ² telecom): the user's device state at the start; None = no user side.",
    )
    setup: tuple[dict[str, Any], ...] = Field(
        (), description="τ² initialization actions run before the conversation (either side)."
    )
    user_actions: tuple[dict[str, Any], ...] = Field(
        (), description="Gold actions of the user's side (its device tools), in τ²'s action shape."
    )
    env_assertions: tuple[dict[str, Any], ...] = Field(
        (), description="τ² env assertions judged on the final state (agent or user side)."
    )
    gold_actions: tuple[dict[str, Any], ...] = Field(
        (), description="τ² gold actions that must appear among the calls (ACTION in the basis)."
    )

    @property
    def task_id(self) -> str:
        return self.task.task_id


class SkippedTask(_Record):
    """A task that could not be put under test, with the reason."""

    ref: str = Field(description="Task id, or '<domain>:<index>' for an imported task.")
    domain: str = Field(description="Its domain.")
    reason: str = Field(description="Why it was left out (reason code: detail).")


class TrialResult(_Record):
    """One play of one task, judged."""

    task_id: str = Field(description="The task played.")
    env_id: str = Field(description="Its environment.")
    domain: str = Field(description="Its domain.")
    attempt: int = Field(ge=0, description="Trial index (0..k-1); the agent's seed is seed + attempt.")
    passed: bool = Field(description="DB state matched the gold state (and, read-only, the calls matched).")
    db_match: bool = Field(description="Final state hash equals the blueprint's gold hash.")
    read_only: bool = Field(description="Whether the blueprint only reads.")
    exact_match: bool | None = Field(
        None, description="Read-only tasks: successful calls equal the gold calls."
    )
    outputs_ok: bool | None = Field(
        None, description="Tasks with required outputs: all appeared in the replies."
    )
    n_gold_calls: int = Field(ge=0, description="Calls in the gold blueprint (long-horizon analysis).")
    turns: int = Field(ge=0, description="Assistant messages in the conversation.")
    tool_calls: int = Field(ge=0, description="Tool calls the agent made.")
    error_calls: int = Field(ge=0, description="Tool calls that failed (bad JSON, unknown tool, tool error).")
    termination: str = Field(description="Why the conversation ended.")
    mismatch: dict[str, Any] | None = Field(
        None, description="First exact-match difference (read-only failures)."
    )
    env_assertions_ok: bool | None = Field(
        None, description="τ² tasks with env assertions: all of them held on the final state."
    )
    actions_ok: bool | None = Field(
        None, description="τ² tasks with ACTION in the basis: every gold action was called (either side)."
    )


class Metrics(_Record):
    """Metrics over a set of trials (overall, or one domain)."""

    n_tasks: int = Field(description="Distinct tasks.")
    n_trials: int = Field(description="Trials played.")
    k: int = Field(description="Trials per task.")
    pass_1: float = Field(description="pass^1: mean over tasks of c/n.")
    pass_k: float = Field(description="pass^k (τ-bench): mean over tasks of comb(c,k)/comb(n,k).")
    pass_hat: dict[int, float] = Field(description="pass^j for j = 1..k (the pass^k vs k curve).")
    db_match_rate: float = Field(description="Share of trials whose final state is the gold state.")
    exact_match_rate: float | None = Field(
        None, description="Share of read-only trials whose calls match exactly."
    )
    avg_turns: float = Field(description="Mean assistant messages per trial.")
    avg_tool_calls: float = Field(description="Mean tool calls per trial.")
    error_call_rate: float = Field(description="Failed calls / all calls.")
    accuracy_by_calls: dict[int, float] = Field(
        description="Trial pass rate by number of gold calls (the paper's long-horizon analysis)."
    )


class EvalReport(_Record):
    """An agent's evaluation on one task set: overall and per-domain metrics, every trial."""

    label: str = Field(description="Who was evaluated (model URI, or base_url + model).")
    model_uri: str | None = Field(
        None, description="Registered model URI when the agent is a registered model."
    )
    model_version: str | None = Field(None, description="'<name>/<version>' of a registered model.")
    k: int = Field(description="Trials per task.")
    seed: int = Field(description="Agent seed base (trial i uses seed + i).")
    task_set_hash: str = Field(
        description="Content hash of the task ids, k and seed: equal hashes = comparable."
    )
    overall: Metrics = Field(description="Metrics over every task.")
    per_domain: dict[str, Metrics] = Field(description="Metrics per domain.")
    trials: tuple[TrialResult, ...] = Field(description="Every trial.")
    skipped: tuple[SkippedTask, ...] = Field((), description="Tasks left out, with reasons.")
    wall_s: float = Field(0.0, description="Wall-clock seconds of the trials.")

    def flat_metrics(self) -> dict[str, float]:
        """MLflow-ready metric names: overall ones plain, per-domain ones prefixed ``<domain>.``."""
        out = _flat(self.overall, "")
        for domain, m in self.per_domain.items():
            out.update(_flat(m, f"{_metric_key(domain)}."))
        return out


class Decision(_Record):
    """The promotion decision and its numbers."""

    promoted: bool = Field(description="Whether the challenger becomes champion.")
    reason: str = Field(description="Why (reason code: detail).")
    challenger_pass_1: float = Field(description="Challenger's pass^1.")
    champion_pass_1: float | None = Field(
        None, description="Champion's pass^1 on the same tasks; None without a champion."
    )
    base_pass_1: float | None = Field(
        None, description="The base model's pass^1 on the same tasks; None when it was not evaluated."
    )
    delta: float | None = Field(None, description="challenger - champion pass^1.")
    margin: float = Field(description="Required gain.")
    regression_tolerance: float = Field(description="Largest allowed per-domain drop.")
    floor: float = Field(description="pass^1 a first champion must reach.")
    regressions: dict[str, float] = Field(
        default_factory=dict, description="Domains whose pass^1 dropped beyond the tolerance: domain -> drop."
    )

    def tags(self) -> dict[str, str]:
        """Model-version tags recording the decision."""

        def fmt(x: float | None) -> str:
            return "" if x is None else f"{x:.4f}"

        return {
            "envscale.promotion.decision": "promoted" if self.promoted else "rejected",
            "envscale.promotion.reason": self.reason,
            "envscale.promotion.challenger_pass_1": fmt(self.challenger_pass_1),
            "envscale.promotion.champion_pass_1": fmt(self.champion_pass_1),
            "envscale.promotion.base_pass_1": fmt(self.base_pass_1),
            "envscale.promotion.delta": fmt(self.delta),
            "envscale.promotion.margin": fmt(self.margin),
            "envscale.promotion.regressions": ",".join(f"{d}:{v:.4f}" for d, v in self.regressions.items()),
        }


def _metric_key(name: str) -> str:
    """MLflow metric names allow letters, digits, _ - . / and spaces."""
    return "".join(c if c.isalnum() or c in "_-./ " else "_" for c in name)


def _flat(m: Metrics, prefix: str) -> dict[str, float]:
    out = {
        f"{prefix}pass_1": m.pass_1,
        f"{prefix}pass_k": m.pass_k,
        f"{prefix}db_match_rate": m.db_match_rate,
        f"{prefix}avg_turns": m.avg_turns,
        f"{prefix}avg_tool_calls": m.avg_tool_calls,
        f"{prefix}error_call_rate": m.error_call_rate,
        f"{prefix}n_tasks": float(m.n_tasks),
    }
    if m.exact_match_rate is not None:
        out[f"{prefix}exact_match_rate"] = m.exact_match_rate
    for j, v in m.pass_hat.items():
        out[f"{prefix}pass_hat_{j}"] = v
    for n, v in m.accuracy_by_calls.items():
        out[f"{prefix}accuracy_calls_{n}"] = v
    return out
