"""Champion/challenger rules, as a pure function of two reports on the same task set.

- No champion: the challenger becomes champion when its pass^1 reaches the floor.
- Otherwise: it must gain at least ``margin`` pass^1 (and gain something), and
  no domain may lose more than ``regression_tolerance`` pass^1.
"""

from __future__ import annotations

from envscale.environments.evaluation.records import Decision, EvalReport

_EPS = 1e-9  # pass rates are ratios of small integers: compare with a little slack


class NotComparable(ValueError):
    """The two reports did not play the same tasks with the same k and seeds."""


def decide(
    challenger: EvalReport,
    champion: EvalReport | None,
    *,
    margin: float,
    regression_tolerance: float,
    floor: float,
) -> Decision:
    numbers = {"margin": margin, "regression_tolerance": regression_tolerance, "floor": floor}
    mine = challenger.overall.pass_1
    if champion is None:
        if mine + _EPS >= floor:
            return Decision(
                promoted=True,
                reason=f"first_champion: pass^1 {mine:.4f} >= floor {floor:.4f}",
                challenger_pass_1=mine,
                **numbers,
            )
        return Decision(
            promoted=False,
            reason=f"below_floor: pass^1 {mine:.4f} < floor {floor:.4f}",
            challenger_pass_1=mine,
            **numbers,
        )
    if champion.task_set_hash != challenger.task_set_hash:
        raise NotComparable(
            f"challenger task set {challenger.task_set_hash} != champion task set {champion.task_set_hash}"
        )
    theirs = champion.overall.pass_1
    delta = mine - theirs
    regressions = {
        domain: round(m.pass_1 - challenger.per_domain[domain].pass_1, 6)
        for domain, m in champion.per_domain.items()
        if domain in challenger.per_domain
        and m.pass_1 - challenger.per_domain[domain].pass_1 > regression_tolerance + _EPS
    }
    base = {
        "challenger_pass_1": mine,
        "champion_pass_1": theirs,
        "delta": delta,
        "regressions": regressions,
        **numbers,
    }
    if delta <= _EPS or delta + _EPS < margin:
        return Decision(promoted=False, reason=f"no_gain: delta {delta:+.4f} < margin {margin:.4f}", **base)
    if regressions:
        worst = max(regressions, key=regressions.__getitem__)
        return Decision(
            promoted=False,
            reason=f"domain_regression: {worst} -{regressions[worst]:.4f} > tolerance {regression_tolerance:.4f}",
            **base,
        )
    return Decision(promoted=True, reason=f"better: delta {delta:+.4f} >= margin {margin:.4f}", **base)
