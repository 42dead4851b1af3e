"""Prefect tasks of the ingest stage: thin wrappers over ``environments.catalog``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from envscale.config import IngestSettings
from envscale.environments.catalog.ingest import IngestResult, ingest_paths
from envscale.environments.catalog.store import PersistSummary, load_catalog, persist_ingest
from envscale.warehouse import Warehouse


@task(name="parse-tool-schemas", cache_policy=NO_CACHE)
def parse_task(
    paths: list[str], format: str | None, settings: IngestSettings, show_progress: bool = False
) -> IngestResult:
    """Read, normalize and deduplicate every file (pure; nothing written)."""
    if not show_progress:
        return ingest_paths(paths, format=format, settings=settings)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        transient=True,
        console=_stderr_console(),
    ) as bar:
        job = bar.add_task("", total=None)

        def progress(done: int, total: int, current: str) -> None:
            bar.update(job, completed=done, total=total, description=Path(current).name if current else "")

        return ingest_paths(paths, format=format, settings=settings, progress=progress)


@task(name="persist-catalog", cache_policy=NO_CACHE)
def persist_task(warehouse: Warehouse, result: IngestResult, run_id: str) -> PersistSummary:
    """Write accepted tools and rejections into the warehouse (idempotent, incremental)."""
    return persist_ingest(warehouse, result, run_id=run_id)


@task(name="tool-catalog-contract", cache_policy=NO_CACHE)
def contract_task(warehouse: Warehouse, docs_dir: Path | None) -> Any:
    """Run the ``tool_catalog`` suite over the whole stored catalog."""
    from envscale.data_contracts.runner import run_contract
    from envscale.data_contracts.tool_catalog import SUITE, catalog_frame, expectations

    return run_contract(SUITE, catalog_frame(load_catalog(warehouse)), expectations, docs_dir=docs_dir)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(file=sys.stderr)
