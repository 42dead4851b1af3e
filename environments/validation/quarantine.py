"""Contract failures → quarantined trajectories, with the failing expectation as the reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from envscale.environments.validation.records import Verdict

MAX_EVIDENCE_ROWS = 10


def quarantine(
    verdicts: Mapping[str, Verdict],
    suite: str,
    failures: Iterable[tuple[str, list[str], dict[str, Any]]],
) -> dict[str, Verdict]:
    """Quarantine the accepted trajectories that own a failing row.

    ``failures``: (trajectory_id, failed expectation names, the row) per failing
    frame row. Rejected trajectories keep their rejection (it came first); a
    trajectory already quarantined by another suite keeps its first reason and
    gains this suite's evidence. Returns only the verdicts that changed.
    """
    grouped: dict[str, tuple[list[str], list[dict[str, Any]]]] = {}
    for tid, names, row in failures:
        current = verdicts.get(tid)
        if current is None or current.verdict == "rejected":
            continue
        seen, rows = grouped.setdefault(tid, ([], []))
        seen.extend(n for n in names if n not in seen)
        if len(rows) < MAX_EVIDENCE_ROWS:
            rows.append(row)
    changed: dict[str, Verdict] = {}
    for tid, (names, rows) in grouped.items():
        current = verdicts[tid]
        evidence = dict(current.evidence) if current.verdict == "quarantined" else {}
        evidence.setdefault("contracts", {})[suite] = {"expectations": names, "rows": rows}
        changed[tid] = Verdict(
            trajectory_id=tid,
            verdict="quarantined",
            stage="contract",
            reason_code=current.reason_code if current.verdict == "quarantined" else names[0],
            evidence=evidence,
        )
    return changed
