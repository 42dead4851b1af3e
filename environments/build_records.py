"""The records the build stage passes between its parts: the domains it builds, one outcome per
domain or import, and the report the flow prints, stores and publishes.

They sit here (the domain core, no Prefect) so the build's Prefect tasks make them and the
warehouse store (``store.environments.register_build``) reads them; frozen, so a result
that crossed a Prefect task boundary is the result that was made.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from envscale.environments.manifest import EnvironmentManifest


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


OutcomeStatus = Literal["accepted", "rejected", "error"]


class BuildDomain(_Record):
    """A group of catalog tools the build turns into one environment (a graph community or a category)."""

    domain_id: str = Field(description="Content hash of the sorted tool_ids.")
    name: str = Field(description="Readable name (the category, or the community's dominant tokens).")
    tool_ids: tuple[str, ...] = Field(description="Member tools.")
    tags: tuple[str, ...] = Field((), description="Categories, then common name tokens.")
    edges: tuple[tuple[str, str], ...] = Field(
        (),
        description="Dependency edges (source tool_id, target tool_id): the source's output feeds the target.",
    )

    def warehouse_row(self, *, run_id: str, lineage_hash: str, build_error: str | None) -> dict[str, Any]:
        """A row of the warehouse ``domains`` table."""
        return {
            "domain_id": self.domain_id,
            "name": self.name,
            "tool_ids": list(self.tool_ids),
            "n_tools": len(self.tool_ids),
            "tags": list(self.tags),
            "lineage_hash": lineage_hash,
            "run_id": run_id,
            "build_error": build_error,
        }


class BuildOutcome(_Record):
    """What became of one domain or one import: a built environment (accepted or rejected) or an error."""

    name: str = Field(
        description="The domain's name; an import's own (tau_bench_retail, tau2_airline) when it has no domain."
    )
    domain: BuildDomain | None = Field(
        None, description="The generated domain it was built for; None for an import (τ-bench, τ²)."
    )
    manifest: EnvironmentManifest | None = Field(
        None, description="The built environment; None when the build or import raised."
    )
    accepted: bool = Field(False, description="The self-test passed (imports are always accepted).")
    path: str = Field("", description="The environment's DuckDB file ('' when there is none).")
    seconds: float = Field(0.0, description="Seconds the build took (0 for imports).")
    reused: bool = Field(False, description="An environment with the same content hash was already built.")
    error: str | None = Field(None, description="'ExceptionType: message' when it raised; None otherwise.")

    @classmethod
    def built(
        cls,
        manifest: EnvironmentManifest,
        *,
        path: Path | str | None,
        accepted: bool = True,
        domain: BuildDomain | None = None,
        seconds: float = 0.0,
        reused: bool = False,
    ) -> BuildOutcome:
        """An environment the build (``domain`` given) or an import (no domain) produced."""
        return cls(
            name=domain.name if domain is not None else manifest.name,
            domain=domain,
            manifest=manifest,
            accepted=accepted,
            path=str(path) if path else "",
            seconds=seconds,
            reused=reused,
        )

    @classmethod
    def failed(
        cls, exc: BaseException, *, name: str, domain: BuildDomain | None = None, limit: int | None = None
    ) -> BuildOutcome:
        """A build or import that raised ``exc``; its reason is 'Type: message' (cut to ``limit``)."""
        return cls(name=name, domain=domain, error=f"{type(exc).__name__}: {exc}"[:limit])

    @property
    def status(self) -> OutcomeStatus:
        if self.manifest is None:
            return "error"
        return "accepted" if self.accepted else "rejected"

    @property
    def generated(self) -> bool:
        """Built for a catalog domain (it has a domain_id), not imported."""
        return self.domain is not None and bool(self.domain.domain_id)


class BuildRow(_Record):
    """One line of the build's table (printed, and the ``build-environments`` artifact)."""

    environment: str = Field(description="Environment name (the domain's or the import's on an error).")
    env_id: str = Field(description="Content id of the environment ('' on an error).")
    status: OutcomeStatus = Field(description="accepted | rejected | error.")
    tools: int = Field(description="Working tools.")
    dropped: int = Field(description="Tools the build dropped.")
    selftest: str = Field(description="'working/tested' self-test tools, 'imported', or '' on an error.")
    reason: str = Field(
        description="Why it was rejected or tools dropped (cut), or the whole error on one line."
    )

    @classmethod
    def of(cls, outcome: BuildOutcome) -> BuildRow:
        m = outcome.manifest
        if m is None:
            return cls(
                environment=outcome.name,
                env_id="",
                status="error",
                tools=0,
                dropped=0,
                selftest="",
                reason=one_line(outcome.error or ""),
            )
        st = m.selftest
        passed = f"{st.n_working}/{len(st.tools)}" if st else "imported"
        reason = st.reason if st and st.reason else "; ".join(f"{d.name}: {d.reason}" for d in m.dropped[:2])
        return cls(
            environment=m.name,
            env_id=m.env_id,
            status=outcome.status,
            tools=len(m.tools),
            dropped=len(m.dropped),
            selftest=passed,
            reason=(reason or "")[:120],
        )


class Registered(_Record):
    """What one build registration wrote (rows offered per table, environments superseded)."""

    domains: int = Field(description="Domain rows written (replacing earlier ones).")
    environments: int = Field(description="Environment rows written, accepted and rejected.")
    tools: int = Field(description="Per-tool outcomes (working and dropped) offered.")
    superseded: int = Field(description="Accepted generated environments this build no longer yields.")


class BuildSummary(_Record):
    """The build's counts: printed (scalars), stored on the run row, returned by the flow (scalars)."""

    domains: int = Field(description="Domains detected (after max_environments).")
    environments: int = Field(description="Environments accepted (built or imported).")
    rejected: int = Field(description="Environments built whose self-test failed.")
    errors: int = Field(description="Domains or imports that raised.")
    reused: int = Field(description="Accepted environments already built with the same content hash.")
    superseded: int = Field(description="Accepted generated environments this build no longer yields.")
    working_tools: int = Field(description="Working tools over the accepted environments.")
    dropped_tools: int = Field(description="Tools dropped over every built environment.")
    contract_success: bool | None = Field(
        description="The environment_tables contract; None: nothing accepted."
    )
    domain_method: str | None = Field(description="graph | categories; None for an imports-only build.")
    registered: Registered = Field(description="Rows the registration wrote.")
    graph: dict[str, Any] = Field(
        description="Domain detection stats: communities, edges, modularity, seconds per phase."
    )

    def scalars(self) -> dict[str, Any]:
        """The counts without the nested ones (what is printed, published and returned)."""
        return {k: v for k, v in self.model_dump().items() if not isinstance(v, dict)}


class BuildReport(_Record):
    """One build: its summary and a row per outcome."""

    summary: BuildSummary = Field(description="The counts.")
    rows: tuple[BuildRow, ...] = Field(description="One per domain or import, in build order.")

    @classmethod
    def of(
        cls,
        outcomes: Sequence[BuildOutcome],
        *,
        domains: int,
        registered: Registered,
        contract_success: bool | None,
        stats: dict[str, Any],
    ) -> BuildReport:
        accepted = [o for o in outcomes if o.status == "accepted"]
        built = [o.manifest for o in outcomes if o.manifest is not None]
        summary = BuildSummary(
            domains=domains,
            environments=len(accepted),
            rejected=sum(1 for o in outcomes if o.status == "rejected"),
            errors=sum(1 for o in outcomes if o.error is not None),
            reused=sum(1 for o in accepted if o.reused),
            superseded=registered.superseded,
            working_tools=sum(len(o.manifest.tools) for o in accepted if o.manifest is not None),
            dropped_tools=sum(len(m.dropped) for m in built),
            contract_success=contract_success,
            domain_method=stats.get("method"),
            registered=registered,
            graph=stats,
        )
        return cls(summary=summary, rows=tuple(BuildRow.of(o) for o in outcomes))


def one_line(text: str) -> str:
    """A reason on one line, whole (tracebacks and file excerpts carry newlines)."""
    return " ".join(text.split())


def import_failures(outcomes: Sequence[BuildOutcome]) -> str:
    """'name: reason; …' for each import that failed (imports have no domain_id), or ''."""
    return "; ".join(
        f"{o.name}: {one_line(o.error)}" for o in outcomes if o.error is not None and not o.generated
    )
