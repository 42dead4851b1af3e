"""The ingest core: files and folders in, a named, deduplicated catalog plus every rejection out.

Pure: no Prefect, no warehouse (see ``store.persist_ingest`` for that). Phases, timed separately:
discover (walk folders) -> load (read and parse files) -> normalize (detect format, parse, convert and
validate schemas) -> dedupe (merge exact duplicates, flag near ones) -> name (unique canonical names).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from envscale.config import IngestSettings
from envscale.environments.catalog.dedupe import merge_exact, near_duplicates
from envscale.environments.catalog.detect import detect
from envscale.environments.catalog.formats import FORMATS, PARSERS, ParseContext, RawTool
from envscale.environments.catalog.loading import SUFFIXES, entry_damage, load_file
from envscale.environments.catalog.naming import NameAllocator
from envscale.environments.catalog.normalize import normalize
from envscale.environments.catalog.reasons import reject
from envscale.environments.catalog.records import Rejection, ToolRecord
from envscale.environments.catalog.schema import Limits

Progress = Callable[[int, int, str], None]  # (files done, files total, current file)


class SourceStats(BaseModel):
    """What one file contributed."""

    model_config = ConfigDict(frozen=True)

    file: str
    format: str = Field(description="Detected/forced format ('' when none was recognized).")
    entries: int = Field(description="Tool entries found (accepted + rejected entries).")
    accepted: int = Field(description="Distinct tools first seen in this file.")
    merged: int = Field(description="Entries merged into a tool already seen (exact duplicates).")
    rejected: int = Field(description="Rejections in this file (entries or the whole file).")
    reasons: dict[str, int] = Field(default_factory=dict, description="Rejections by reason code.")


class IngestResult(BaseModel):
    """The outcome of one ingest."""

    model_config = ConfigDict(frozen=True)

    tools: tuple[ToolRecord, ...] = Field(description="Accepted tools, uniquely named, in first-seen order.")
    rejections: tuple[Rejection, ...]
    files_read: tuple[str, ...] = Field(
        description="Files that were read and parsed (the scope of re-ingest updates)."
    )
    files_skipped: tuple[str, ...] = Field(description="Files in given folders without a JSON/YAML suffix.")
    sources: tuple[SourceStats, ...]
    n_merged: int = Field(description="Entries merged into an earlier identical tool.")
    n_near_duplicates: int
    timings: dict[str, float] = Field(description="Seconds per phase.")

    def summary_rows(self) -> list[dict[str, object]]:
        """One row per (source, reason): the table the flow prints and publishes."""
        rows: list[dict[str, object]] = []
        for s in self.sources:
            base = {"source": s.file, "format": s.format or "-", "accepted": s.accepted, "merged": s.merged}
            if not s.reasons:
                rows.append({**base, "rejected": 0, "reason": ""})
            for i, (code, n) in enumerate(sorted(s.reasons.items())):
                first = i == 0
                rows.append(
                    {**base, "accepted": s.accepted if first else 0, "merged": s.merged if first else 0}
                    | {"rejected": n, "reason": code}
                )
        return rows

    def totals(self) -> dict[str, int]:
        return {
            "files": len(self.sources),
            "accepted": len(self.tools),
            "merged": self.n_merged,
            "rejected": len(self.rejections),
            "near_duplicates": self.n_near_duplicates,
        }


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[str], list[Rejection]]:
    """Files to read (given order; folders recursively, sorted), skipped files, and missing paths."""
    files: list[Path] = []
    skipped: list[str] = []
    missing: list[Rejection] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                if child.suffix.lower() not in SUFFIXES:
                    skipped.append(str(child.resolve()))
                    continue
                _add(child, files, seen)
        elif path.is_file():
            _add(path, files, seen)
        else:
            missing.append(reject(str(path.resolve()), "", "", "unreadable", "no such file or folder"))
    return files, skipped, missing


def _add(path: Path, files: list[Path], seen: set[Path]) -> None:
    resolved = path.resolve()
    if resolved not in seen:
        seen.add(resolved)
        files.append(resolved)


def ingest_paths(
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    settings: IngestSettings | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest every tool schema under ``paths``. Never raises on bad input (only on a bad ``format``)."""
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    settings = settings or IngestSettings()
    limits = Limits(
        max_depth=settings.max_schema_depth,
        max_nodes=settings.max_schema_nodes,
        max_string=settings.max_description_chars,
    )
    timings: dict[str, float] = defaultdict(float)
    clock = time.perf_counter()
    files, skipped, rejections = discover(paths)
    timings["discover"] = time.perf_counter() - clock

    records: list[ToolRecord] = []
    record_file: list[str] = []
    files_read: list[str] = []
    formats: dict[str, str] = {}
    entries: Counter[str] = Counter()
    for done, path in enumerate(files):
        if progress:
            progress(done, len(files), str(path))
        clock = time.perf_counter()
        loaded = load_file(path, max_bytes=settings.max_file_mb * 1024 * 1024)
        timings["load"] += time.perf_counter() - clock
        clock = time.perf_counter()
        file = loaded.path
        values = [d.value for d in loaded.documents]
        fmt = format or detect(values) or ""
        formats[file] = fmt
        file_rejections = [
            r.model_copy(update={"source": r.source.model_copy(update={"format": fmt})})
            for r in loaded.rejections
        ]
        if loaded.readable:
            files_read.append(file)
        n_before = len(records)
        damage = entry_damage(values) if loaded.damaged and not fmt else None
        if loaded.documents and damage:
            file_rejections.append(reject(file, "", "", *damage))
        elif loaded.documents and not fmt and all(d.value in ([], {}) for d in loaded.documents):
            file_rejections.append(
                reject(file, "", "", "empty_file", "the file holds an empty array or object")
            )
        elif loaded.documents and not fmt:
            file_rejections.append(
                reject(
                    file,
                    "",
                    "",
                    "unknown_format",
                    f"no supported format recognized (try --format; one of {', '.join(FORMATS)})",
                    excerpt=loaded.documents[0].value,
                )
            )
        elif loaded.documents:
            ctx = ParseContext(file, fmt)
            for doc in loaded.documents:
                for item in _safe_parse(fmt, doc.value, doc.prefix, ctx):
                    if isinstance(item, RawTool):
                        entries[file] += 1
                        damage = entry_damage(_raw_fields(item)) if loaded.damaged else None
                        out = ctx.reject(item.pointer, *damage) if damage else normalize(item, ctx, limits)
                        if isinstance(out, ToolRecord):
                            records.append(out)
                            record_file.append(file)
                            continue
                        item = out
                    else:
                        entries[file] += 1
                    file_rejections.append(item)
            if len(records) == n_before and not file_rejections:
                file_rejections.append(
                    reject(file, "", fmt, "no_tools", f"the file is {fmt} but defines no tools")
                )
        rejections.extend(file_rejections)
        timings["normalize"] += time.perf_counter() - clock
    if progress:
        progress(len(files), len(files), "")

    clock = time.perf_counter()
    first_file = {}
    for record, file in zip(records, record_file, strict=True):
        first_file.setdefault(record.tool_id, file)
    merged_per_file: Counter[str] = Counter()
    seen_ids: set[str] = set()
    for record, file in zip(records, record_file, strict=True):
        if record.tool_id in seen_ids:
            merged_per_file[file] += 1
        seen_ids.add(record.tool_id)
    tools, n_merged = merge_exact(records)
    near = near_duplicates(tools, settings.near_duplicate_threshold)
    for i, (j, _score) in near.items():
        tools[i] = tools[i].model_copy(update={"near_duplicate_of": tools[j].tool_id})
    timings["dedupe"] = time.perf_counter() - clock

    clock = time.perf_counter()
    allocator = NameAllocator()
    tools = [t.model_copy(update={"name": allocator.allocate(t.name, t)}) for t in tools]
    timings["name"] = time.perf_counter() - clock

    accepted_per_file = Counter(first_file.values())
    by_file: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rejections:
        by_file[r.source.file][r.reason_code] += 1
    stats = [
        SourceStats(
            file=f,
            format=formats.get(f, ""),
            entries=entries[f],
            accepted=accepted_per_file[f],
            merged=merged_per_file[f],
            rejected=sum(by_file[f].values()),
            reasons=dict(by_file[f]),
        )
        for f in [*[str(p) for p in files], *[f for f in by_file if f not in formats]]
    ]
    return IngestResult(
        tools=tuple(tools),
        rejections=tuple(rejections),
        files_read=tuple(files_read),
        files_skipped=tuple(skipped),
        sources=tuple(stats),
        n_merged=n_merged,
        n_near_duplicates=len(near),
        timings=dict(timings),
    )


def _raw_fields(item: RawTool) -> list[object]:
    return [item.name, item.description, item.parameters, item.returns, item.namespace, list(item.categories)]


def _safe_parse(fmt: str, value: object, prefix: str, ctx: ParseContext) -> Iterable[RawTool | Rejection]:
    """A parser's output; a parser bug on odd input becomes a rejection, never a crash of the ingest."""
    try:
        yield from PARSERS[fmt](value, prefix, ctx)
    except RecursionError:
        yield ctx.reject(prefix, "too_deep", "the document nests too deeply to parse")
    except Exception as exc:  # noqa: BLE001 - hostile input must not stop the other files
        yield ctx.reject(
            prefix, "malformed_entry", f"could not parse the entry ({type(exc).__name__}: {exc})"[:500]
        )
