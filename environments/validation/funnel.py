"""The validation funnel: synthesized → valid → state-aligned → exact-match → contract-clean."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

STEPS = ("synthesized", "valid", "state_aligned", "exact_match", "contract_clean")


class FunnelRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    domain: str = Field(description="Domain name (or environment name for imports); 'overall' for the total.")
    synthesized: int = Field(0, description="Trajectories synthesized.")
    valid: int = Field(0, description="Passed validity control.")
    state_aligned: int = Field(0, description="Also reached the gold state.")
    exact_match: int = Field(0, description="Also matched the gold reads (read-only blueprints).")
    contract_clean: int = Field(0, description="Also passed every data contract: accepted for export.")
    rejected: int = Field(0, description="Rejected by stages 1-3.")
    quarantined: int = Field(0, description="Quarantined by a data contract.")
    unvalidated: int = Field(0, description="Synthesized but not validated (yet).")

    @property
    def acceptance(self) -> float:
        return self.contract_clean / self.synthesized if self.synthesized else 0.0


def funnel(rows: Iterable[dict[str, Any]]) -> list[FunnelRow]:
    """Per-domain rows plus 'overall', from one record per trajectory.

    Each record: ``domain``, ``verdict`` (None when not validated),
    ``passed_validity``, ``passed_alignment``, ``passed_exact_match``.
    """
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        for domain in (r["domain"], "overall"):
            c = counts.setdefault(domain, dict.fromkeys(_FIELDS, 0))
            c["synthesized"] += 1
            if r.get("verdict") is None:
                c["unvalidated"] += 1
                continue
            c["valid"] += bool(r.get("passed_validity"))
            c["state_aligned"] += bool(r.get("passed_alignment"))
            c["exact_match"] += bool(r.get("passed_exact_match"))
            c["contract_clean"] += r["verdict"] == "accepted"
            c["rejected"] += r["verdict"] == "rejected"
            c["quarantined"] += r["verdict"] == "quarantined"
    ordered = sorted(d for d in counts if d != "overall") + (["overall"] if counts else [])
    return [FunnelRow(domain=d, **counts[d]) for d in ordered]


_FIELDS = (
    "synthesized",
    "valid",
    "state_aligned",
    "exact_match",
    "contract_clean",
    "rejected",
    "quarantined",
    "unvalidated",
)
