"""The ingest stage: tool-schema files in, the warehouse catalog (and every rejection) out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from envscale.config import apply_overrides, given
from envscale.environments.catalog.ingest import IngestResult, discover
from envscale.environments.catalog.store import PersistSummary
from envscale.errors import StageFailed
from envscale.hashing import content_hash
from envscale.tasks.ingest import contract_task, parse_task, persist_task
from envscale.tasks.run_context import tracked_run


class IngestFailed(StageFailed):
    """Nothing was accepted, or ``strict`` and something was rejected (everything is stored first)."""


@flow(name="ingest", log_prints=True)
def ingest_tools(
    paths: list[str] | None = None,
    format: str | None = None,
    strict: bool = False,
    show_progress: bool = False,
) -> dict[str, Any]:
    """Ingest tool schemas into the catalog.

    paths: files or folders (recursively); default: the shipped sample catalog.
    format: force one format (openai, openapi, mcp, bfcl, toolbench, taubench) instead of detecting it.
    strict: fail when any entry is rejected (or the data contract fails); default settings.ingest.strict.
    show_progress: draw a progress bar on stderr (the CLI sets it on a terminal).
    """
    from envscale.samples import sample_catalog_path

    logger = get_run_logger()
    sources = [str(p) for p in paths] if paths else [str(sample_catalog_path())]
    params = {"paths": sources, "format": format, "strict": strict}
    with tracked_run("ingest", params, input_hash=_input_hash(sources, format)) as ctx:
        settings = apply_overrides(ctx.settings.ingest, given(strict=strict), "ingest")
        strict = settings.strict
        result = parse_task(sources, format, settings, show_progress)
        persisted = persist_task(ctx.warehouse, result, ctx.run_id)
        summary: dict[str, Any] = {**result.totals(), **persisted.model_dump()}
        summary["timings_s"] = {k: round(v, 3) for k, v in result.timings.items()}
        contract = None
        if settings.run_contract:
            from envscale.data_contracts.runner import store_contract_result

            contract = contract_task(ctx.warehouse, ctx.run_dir / "data_docs")
            store_contract_result(ctx.warehouse, ctx.run_id, contract, subject="catalog")
            summary["contract_success"] = contract.success
            summary["contract_failed"] = [o.name for o in contract.failed]
        summary["catalog_size"] = ctx.warehouse.counts(read_only=False)["tools"]
        table = format_summary(result)
        print(table)
        print(_totals_line(summary))
        _publish(result, summary, persisted)
        ctx.summary.update(summary)
        logger.info("ingest: %s", _totals_line(summary))
        if not result.tools:
            raise IngestFailed(nothing_accepted(result))
        if strict and result.rejections:
            raise IngestFailed(
                f"--strict: {len(result.rejections)} entries were rejected (stored in rejected_tools)"
            )
        if strict and contract is not None and not contract.success:
            raise IngestFailed(f"--strict: the tool_catalog contract failed: {summary['contract_failed']}")
        return {"run_id": ctx.run_id, **{k: v for k, v in summary.items() if k != "timings_s"}}


_MISSING = "no such file or folder"


def nothing_accepted(result: IngestResult, top: int = 3) -> str:
    """Why an ingest accepted nothing: no files at all, or the most common rejection reasons inline."""
    missing = [r.source.file for r in result.rejections if r.reason == _MISSING and not r.source.pointer]
    files = [s for s in result.sources if s.file not in set(missing)]
    if not files:
        message = f"no JSON/YAML files found ({len(result.files_skipped)} skipped)"
        if missing:
            message += f"; not found: {', '.join(missing[:top])}" + (" …" if len(missing) > top else "")
        return message
    by_code: dict[str, list[Any]] = {}
    for r in result.rejections:
        by_code.setdefault(r.reason_code, []).append(r)
    ranked = sorted(by_code.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    if not ranked:
        return f"no tool was accepted from {len(files)} file(s)"
    reasons = []
    for code, rejections in ranked[:top]:
        first = rejections[0]
        where = Path(first.source.file).name + (f"#{first.source.pointer}" if first.source.pointer else "")
        reasons.append(f"  {code} ×{len(rejections)}, e.g. {where}: {first.reason[:160]}")
    more = f"\n  … {len(ranked) - top} more reason(s)" if len(ranked) > top else ""
    return (
        f"no tool was accepted from {len(files)} file(s); top rejection reasons:\n"
        + "\n".join(reasons)
        + more
        + "\n(every rejection is in the warehouse table rejected_tools)"
    )


def _input_hash(sources: list[str], format: str | None) -> str:
    """Paths, sizes and modification times of the files (cheap: no file is read here)."""
    files, skipped, missing = discover(sources)
    stamp = []
    for f in files:
        try:
            st = os.stat(f)
            stamp.append([str(f), st.st_size, st.st_mtime_ns])
        except OSError:
            stamp.append([str(f), None, None])
    return content_hash({"files": stamp, "format": format, "missing": [m.source.file for m in missing]})


def _short(path: str, root: str) -> str:
    try:
        return str(Path(path).relative_to(root)) or Path(path).name
    except ValueError:
        return path


def _root(result: IngestResult) -> str:
    files = [s.file for s in result.sources]
    if not files:
        return ""
    common = os.path.commonpath(files)
    return str(Path(common).parent) if len(files) == 1 else common


def format_summary(result: IngestResult) -> str:
    """Accepted / merged / rejected per source and reason, as a fixed-width text table."""
    root = _root(result)
    headers = ("source", "format", "accepted", "merged", "rejected", "reason")
    body = [
        (
            _short(str(r["source"]), root),
            str(r["format"]),
            str(r["accepted"]),
            str(r["merged"]),
            str(r["rejected"]),
            str(r["reason"]),
        )
        for r in result.summary_rows()
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    totals = result.totals()
    lines.append(
        f"total: {totals['accepted']} tools accepted, {totals['merged']} merged duplicates, "
        f"{totals['rejected']} rejected, {totals['near_duplicates']} near-duplicates flagged"
    )
    return "\n".join(lines)


def _totals_line(summary: dict[str, Any]) -> str:
    keys = (
        "accepted",
        "merged",
        "rejected",
        "inserted",
        "updated",
        "removed",
        "catalog_size",
        "contract_success",
    )
    return ", ".join(f"{k}={summary[k]}" for k in keys if k in summary)


def _publish(result: IngestResult, summary: dict[str, Any], persisted: PersistSummary) -> None:
    root = _root(result)
    rows = [{**r, "source": _short(str(r["source"]), root)} for r in result.summary_rows()]
    create_table_artifact(
        key="ingest-summary",
        table=rows,
        description="ingest: accepted / merged / rejected per source and reason",
    )
    lines = [
        "# Ingest",
        f"- files: {len(result.sources)} (root `{root}`), skipped (not JSON/YAML): {len(result.files_skipped)}",
        f"- accepted **{len(result.tools)}** tools, merged {result.n_merged} duplicates, "
        f"rejected {len(result.rejections)}, near-duplicates flagged {result.n_near_duplicates}",
        f"- warehouse: {persisted.inserted} inserted, {persisted.updated} updated, {persisted.unchanged} unchanged, "
        f"{persisted.removed} removed; catalog size {summary.get('catalog_size')}",
    ]
    if "contract_success" in summary:
        verdict = "passed" if summary["contract_success"] else f"FAILED: {summary['contract_failed']}"
        lines.append(f"- data contract `tool_catalog`: {verdict}")
    create_markdown_artifact(key="ingest-report", markdown="\n".join(lines), description="ingest: summary")
