"""Champion/challenger rules, as a pure function of reports on the same task set.

- The challenger must beat the base model (when its report is given) by ``margin``
  pass^1, and gain something: fine-tuning that does not beat its own base is no model.
- No champion: it must also reach the floor; without a base report it must at least
  solve something (pass^1 > 0), so "first champion at 0.0" is never a promotion.
- A champion: it must gain at least ``margin`` pass^1 over it (and gain something),
  and no domain may lose more than ``regression_tolerance`` pass^1.
"""

from __future__ import annotations

from envscale.environments.evaluation.records import Decision, EvalReport
from envscale.errors import DataError

_EPS = 1e-9  # pass rates are ratios of small integers: compare with a little slack


class NotComparable(DataError):
    """The two reports did not play the same tasks with the same k and seeds."""


def _same_tasks(challenger: EvalReport, other: EvalReport, what: str) -> None:
    if other.task_set_hash != challenger.task_set_hash:
        raise NotComparable(
            f"challenger task set {challenger.task_set_hash} != {what} task set {other.task_set_hash}"
        )


def _gains(delta: float, margin: float) -> bool:
    return delta > _EPS and delta + _EPS >= margin


def decide(
    challenger: EvalReport,
    champion: EvalReport | None,
    *,
    margin: float,
    regression_tolerance: float,
    floor: float,
    base: EvalReport | None = None,
) -> Decision:
    numbers = {"margin": margin, "regression_tolerance": regression_tolerance, "floor": floor}
    mine = challenger.overall.pass_1
    base_pass = None
    if base is not None:
        _same_tasks(challenger, base, "base model")
        base_pass = base.overall.pass_1
    if champion is not None:
        _same_tasks(challenger, champion, "champion")
    theirs = None if champion is None else champion.overall.pass_1
    delta = None if theirs is None else mine - theirs
    regressions = (
        {}
        if champion is None
        else {
            domain: round(m.pass_1 - challenger.per_domain[domain].pass_1, 6)
            for domain, m in champion.per_domain.items()
            if domain in challenger.per_domain
            and m.pass_1 - challenger.per_domain[domain].pass_1 > regression_tolerance + _EPS
        }
    )
    fields = {
        "challenger_pass_1": mine,
        "champion_pass_1": theirs,
        "base_pass_1": base_pass,
        "delta": delta,
        "regressions": regressions,
        **numbers,
    }

    def rejected(reason: str) -> Decision:
        return Decision(promoted=False, reason=reason, **fields)

    over_base = ""
    if base_pass is not None:
        gain = mine - base_pass
        if not _gains(gain, margin):
            return rejected(
                f"no_gain_over_base: pass^1 {mine:.4f} vs base {base_pass:.4f} "
                f"(delta {gain:+.4f}, margin {margin:.4f})"
            )
        over_base = f"; base {base_pass:.4f} ({gain:+.4f})"
    if champion is None:
        if mine + _EPS < floor:
            return rejected(f"below_floor: pass^1 {mine:.4f} < floor {floor:.4f}")
        if base_pass is None and mine <= _EPS:
            return rejected("nothing_solved: pass^1 0.0000 and no base model to compare with")
        return Decision(
            promoted=True,
            reason=f"first_champion: pass^1 {mine:.4f} >= floor {floor:.4f}{over_base}",
            **fields,
        )
    assert delta is not None
    if not _gains(delta, margin):
        return rejected(f"no_gain: delta {delta:+.4f} < margin {margin:.4f} over the champion")
    if regressions:
        worst = max(regressions, key=regressions.__getitem__)
        return rejected(
            f"domain_regression: {worst} -{regressions[worst]:.4f} > tolerance {regression_tolerance:.4f}"
        )
    return Decision(
        promoted=True, reason=f"better: delta {delta:+.4f} >= margin {margin:.4f}{over_base}", **fields
    )
