"""The ``--env`` selection of a stage: env_ids or names, and a clear error for the ones that match nothing."""

from __future__ import annotations

from collections.abc import Iterable

from envscale.config import UsageError


def select_environments(selected: Iterable[str], known: Iterable[tuple[str, str]], scope: str) -> list[str]:
    """The env_ids that ``selected`` (env_ids or names) names among ``known`` (env_id, name) pairs.

    A typo is an error, not a silent no-op: any selected value that matches nothing raises
    UsageError naming it and ``scope`` (what was searched, e.g. "an accepted environment").
    """
    by_key: dict[str, set[str]] = {}
    for env_id, name in known:
        by_key.setdefault(env_id, set()).add(env_id)
        by_key.setdefault(name, set()).add(env_id)
    wanted = list(dict.fromkeys(selected))
    unknown = [s for s in wanted if s not in by_key]
    if unknown:
        raise UsageError(
            f"unknown environment(s): {', '.join(unknown)} — not the env_id or name of {scope}"
            " (see the `environments` table; `envscale build` creates them)"
        )
    return sorted({env_id for s in wanted for env_id in by_key[s]})
