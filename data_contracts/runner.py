"""Run a Great Expectations suite over a DataFrame as a Checkpoint, and keep its result.

Suites are plain functions ``(gx) -> list[Expectation]`` in this package, so a
caller never imports GE (~4-8 s) until a contract actually runs. Each run uses
an ephemeral GE context; when ``docs_dir`` is given the Checkpoint also builds
Data Docs HTML there (kept with the run).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import pandas as pd

    from envscale.warehouse import Warehouse

SuiteFn = Callable[[Any], list[Any]]
# GE's context and its registries are not thread-safe; contracts are quick, so serialize them.
_LOCK = threading.Lock()


class ExpectationOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    expectation: str = Field(description="GE expectation type, e.g. expect_column_values_to_be_unique.")
    column: str | None = Field(None, description="Column the expectation is about, when it has one.")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="The expectation's arguments.")
    success: bool
    unexpected_count: int = 0
    unexpected_rows: tuple[int, ...] = Field(
        (), description="Row positions in the validated frame that failed."
    )

    @property
    def name(self) -> str:
        """A stable, readable name used as a quarantine reason."""
        return f"{self.expectation}:{self.column}" if self.column else self.expectation


class ContractResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    suite: str
    success: bool
    n_rows: int
    outcomes: tuple[ExpectationOutcome, ...]
    docs_path: str | None = Field(None, description="index.html of the Data Docs built for this run.")

    @property
    def failed(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.success)

    def failing_rows(self) -> dict[int, list[str]]:
        """Row position → names of the expectations it broke."""
        rows: dict[int, list[str]] = {}
        for outcome in self.failed:
            for row in outcome.unexpected_rows:
                rows.setdefault(row, []).append(outcome.name)
        return rows

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def run_contract(
    suite: str,
    frame: pd.DataFrame,
    expectations: SuiteFn,
    docs_dir: Path | None = None,
    run_name: str | None = None,
) -> ContractResult:
    """Validate ``frame`` against the suite built by ``expectations(gx)``.

    ``run_name`` names the validation in Data Docs (default: the suite and the UTC time,
    instead of GE's ``__none__``); the pages are made self-contained (``offline_docs``).
    """
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    frame = frame.reset_index(drop=True)  # unexpected_rows are positions
    with _LOCK:
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        actions = []
        if docs_dir is not None:
            docs_dir.mkdir(parents=True, exist_ok=True)
            ctx.add_data_docs_site(
                site_name="envscale",
                site_config={
                    "class_name": "SiteBuilder",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(docs_dir),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
            actions.append(gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=["envscale"]))
        batch = (
            ctx.data_sources.add_pandas("envscale")
            .add_dataframe_asset(suite)
            .add_batch_definition_whole_dataframe("all")
        )
        gx_suite = ctx.suites.add(gx.ExpectationSuite(name=suite))
        for expectation in expectations(gx):
            gx_suite.add_expectation(expectation)
        definition = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=suite, data=batch, suite=gx_suite)
        )
        checkpoint = ctx.checkpoints.add(
            gx.Checkpoint(
                name=f"{suite}-checkpoint",
                validation_definitions=[definition],
                actions=actions,
                result_format={"result_format": "COMPLETE"},
            )
        )
        now = datetime.now(UTC)
        run_id = RunIdentifier(run_name=run_name or f"{suite}-{now:%Y%m%dT%H%M%SZ}", run_time=now)
        run = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=run_id)
        if docs_dir is not None:
            offline_docs(docs_dir)
    validation = next(iter(run.run_results.values()))
    outcomes = tuple(_outcome(r) for r in validation.results)
    docs = docs_dir / "index.html" if docs_dir is not None and (docs_dir / "index.html").exists() else None
    return ContractResult(
        suite=suite,
        success=bool(validation.success),
        n_rows=len(frame),
        outcomes=outcomes,
        docs_path=str(docs) if docs else None,
    )


_CSS = Path(__file__).with_name("offline.css")
# Stylesheets, scripts and images GE's templates load from CDNs: unreachable offline, and a page
# waiting on them renders unstyled. Links to GE's documentation (<a href>) stay.
_REMOTE = re.compile(
    r"<link\b[^>]*href=\"https?://[^\"]*\"[^>]*>\s*"
    r"|<script\b[^>]*src=\"https?://[^\"]*\"[^>]*>\s*</script>\s*"
    r"|<img\b[^>]*src=\"https?://[^\"]*\"[^>]*>",
    re.IGNORECASE,
)
_MARK = "<!-- envscale: offline styles -->"


def offline_docs(docs_dir: Path) -> int:
    """Inline envscale's Bootstrap subset into every Data Docs page and drop CDN assets; pages changed."""
    style = f"{_MARK}\n<style>\n{_CSS.read_text()}</style>\n"
    changed = 0
    for page in docs_dir.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        if _MARK in html:
            continue
        html = _REMOTE.sub("", html)
        html = html.replace("<head>", "<head>\n" + style, 1) if "<head>" in html else style + html
        page.write_text(html, encoding="utf-8")
        changed += 1
    return changed


def _outcome(result: Any) -> ExpectationOutcome:
    config = result.expectation_config
    kwargs = {k: v for k, v in dict(config.kwargs).items() if k not in ("batch_id",)}
    detail = result.result or {}
    rows = detail.get("unexpected_index_list") or []
    if result.exception_info and result.exception_info.get("raised_exception"):
        # A broken expectation (e.g. missing column) is a failure, not a crash.
        message = result.exception_info.get("exception_message") or "expectation raised"
        kwargs["error"] = str(message)[:500]
    return ExpectationOutcome(
        expectation=config.type,
        column=kwargs.get("column"),
        kwargs=json.loads(json.dumps(kwargs, default=str)),
        success=bool(result.success),
        unexpected_count=int(detail.get("unexpected_count") or 0),
        unexpected_rows=tuple(int(i) for i in rows if isinstance(i, int)),
    )


def store_contract_result(
    warehouse: Warehouse, run_id: str, result: ContractResult, *, subject: str = ""
) -> None:
    """Append the result to the warehouse's `contract_results` table."""
    from envscale.hashing import content_hash

    payload = result.to_dict()
    warehouse.insert(
        "contract_results",
        [
            {
                "result_id": content_hash([run_id, result.suite, subject, payload]),
                "run_id": run_id,
                "suite": result.suite,
                "subject": subject,
                "success": result.success,
                "n_rows": result.n_rows,
                "n_failed": len(result.failed),
                "outcomes": payload["outcomes"],
                "docs_path": result.docs_path,
            }
        ],
    )
