"""The catalog in the warehouse: idempotent persistence of an ingest, and loading it back.

Persisting is incremental and keyed by content:
- a tool whose ``tool_id`` is already stored keeps its row and its name; new source references are merged in;
- the files this ingest read are the scope of change: a stored tool that one of them used to yield but
  no longer does loses that source reference, and is removed once no source is left;
- a new tool that replaces such a removed tool (same file, same source name) inherits its name, so names
  stay stable when a description or schema is edited;
- rejections are keyed by (file, pointer, reason); those of re-read files that no longer occur are cleared.
Files that could not be read at all are out of scope: a corrupt copy never wipes what an earlier good copy gave.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from envscale.environments.catalog.naming import NameAllocator
from envscale.environments.catalog.records import Rejection, SourceRef, ToolRecord
from envscale.hashing import content_hash

if TYPE_CHECKING:
    from envscale.environments.catalog.ingest import IngestResult
    from envscale.warehouse import Warehouse

# Bump when normalization changes meaning, so lineage shows which code produced a row.
INGEST_VERSION = 1


class PersistSummary(BaseModel):
    """What one persist call changed in the warehouse."""

    model_config = ConfigDict(frozen=True)

    inserted: int = Field(description="New tool rows.")
    updated: int = Field(description="Existing rows whose source references changed.")
    unchanged: int = Field(description="Tools already stored exactly as ingested.")
    removed: int = Field(description="Rows deleted because their re-read source files no longer yield them.")
    renamed_on_insert: int = Field(description="New tools whose batch name was taken in the warehouse.")
    rejections_inserted: int = Field(description="New rejected_tools rows.")
    rejections_cleared: int = Field(description="Rejections of re-read files that no longer occur.")


def load_catalog(warehouse: Warehouse) -> list[ToolRecord]:
    """Every tool in the warehouse catalog, ordered by canonical name."""
    with warehouse.connect(read_only=True) as con:
        rows = con.execute("SELECT record FROM tools ORDER BY name").fetchall()
    return [ToolRecord.model_validate_json(r[0]) for r in rows]


def load_rejections(warehouse: Warehouse) -> list[dict[str, Any]]:
    """Every rejected entry as a plain dict (source_file, pointer, source_format, reason_code, reason, excerpt)."""
    return warehouse.rows(
        "SELECT rejection_id, source_file, pointer, source_format, reason_code, reason, excerpt"
        " FROM rejected_tools ORDER BY source_file, pointer"
    )


def persist_ingest(
    warehouse: Warehouse, result: IngestResult, *, run_id: str | None = None
) -> PersistSummary:
    """Write ``result`` into the warehouse idempotently (see the module docstring); one transaction."""
    scope = set(result.files_read)
    with warehouse.transaction() as con:
        stored = _stored_tools(con)
        incoming = {t.tool_id: t for t in result.tools}

        # 1. Stored tools fed by re-read files but absent from this ingest lose those references.
        to_delete: list[str] = []
        to_update: dict[str, ToolRecord] = {}
        freed_names: dict[tuple[str, str], str] = {}  # (file, source name) -> name of a removed tool
        for tool_id, record in stored.items():
            if tool_id in incoming:
                continue
            kept = tuple(s for s in record.sources if s.file not in scope)
            if len(kept) == len(record.sources):
                continue
            if kept:
                to_update[tool_id] = record.model_copy(update={"sources": kept})
            else:
                to_delete.append(tool_id)
                for s in record.sources:
                    freed_names[(s.file, _source_key(record))] = record.name

        # 2. Incoming tools: merge into stored rows, or name and insert.
        taken = {r.name for tid, r in stored.items() if tid not in to_delete}
        allocator = NameAllocator(taken)
        inserts: list[ToolRecord] = []
        unchanged = renamed = 0
        for tool in result.tools:
            if tool.tool_id in stored:
                old = stored[tool.tool_id]
                merged = _merge_sources(old.sources, tool.sources, scope)
                fresh = old.model_copy(
                    update={
                        "sources": merged,
                        "categories": _union(old.categories, tool.categories),
                        "near_duplicate_of": tool.near_duplicate_of or old.near_duplicate_of,
                    }
                )
                if fresh != old:
                    to_update[tool.tool_id] = fresh
                else:
                    unchanged += 1
                continue
            inherited = next(
                (
                    freed_names[(s.file, _source_key(tool))]
                    for s in tool.sources
                    if (s.file, _source_key(tool)) in freed_names
                ),
                None,
            )
            if inherited is not None and allocator.is_free(inherited):
                name = allocator.claim(inherited)
            else:
                name = allocator.allocate(tool.name, tool)
                renamed += name != tool.name
            inserts.append(tool.model_copy(update={"name": name}))

        if to_delete:
            con.execute("DELETE FROM tools WHERE tool_id IN (SELECT unnest(?))", [to_delete])
        if to_update:
            # Delete + insert in one statement pair: DuckDB updates of JSON columns cost the same and this
            # keeps one code path for rows.
            con.execute("DELETE FROM tools WHERE tool_id IN (SELECT unnest(?))", [list(to_update)])
            warehouse.insert(
                "tools", [_tool_row(r, run_id) for r in to_update.values()], on_conflict="error", con=con
            )
        if inserts:
            warehouse.insert("tools", [_tool_row(r, run_id) for r in inserts], on_conflict="error", con=con)

        # 3. Rejections: clear those of re-read files that no longer occur, add the new ones.
        current = {r.rejection_id for r in result.rejections}
        stale = [
            rid
            for rid, file in con.execute("SELECT rejection_id, source_file FROM rejected_tools").fetchall()
            if file in scope and rid not in current
        ]
        if stale:
            con.execute("DELETE FROM rejected_tools WHERE rejection_id IN (SELECT unnest(?))", [stale])
        existing = {r[0] for r in con.execute("SELECT rejection_id FROM rejected_tools").fetchall()}
        new_rejections = [r for r in result.rejections if r.rejection_id not in existing]
        if new_rejections:
            warehouse.insert(
                "rejected_tools",
                [_rejection_row(r, run_id) for r in new_rejections],
                on_conflict="ignore",
                con=con,
            )

    return PersistSummary(
        inserted=len(inserts),
        updated=len(to_update),
        unchanged=unchanged,
        removed=len(to_delete),
        renamed_on_insert=renamed,
        rejections_inserted=len(new_rejections),
        rejections_cleared=len(stale),
    )


def _stored_tools(con: Any) -> dict[str, ToolRecord]:
    return {
        tid: ToolRecord.model_validate_json(rec)
        for tid, rec in con.execute("SELECT tool_id, record FROM tools").fetchall()
    }


def _source_key(record: ToolRecord) -> str:
    return f"{record.namespace or ''}/{record.original_name}"


def _merge_sources(
    old: Iterable[SourceRef], new: Iterable[SourceRef], scope: set[str]
) -> tuple[SourceRef, ...]:
    """References from files outside this ingest stay; those of re-read files are replaced by the new ones."""
    kept = [s for s in old if s.file not in scope]
    return tuple(dict.fromkeys([*kept, *new]))


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*a, *b]))


def _tool_row(record: ToolRecord, run_id: str | None) -> dict[str, Any]:
    data = record.model_dump(mode="json")
    return {
        "tool_id": record.tool_id,
        "name": record.name,
        "description": record.description,
        "parameters": data["parameters"],
        "returns": json.dumps(data["returns"]) if data["returns"] is not None else None,
        "kind": record.kind,
        "kind_reason": record.kind_reason,
        "source_format": record.source_format,
        "categories": data["categories"],
        "sources": data["sources"],
        "near_duplicate_of": record.near_duplicate_of,
        "record": json.dumps(data, ensure_ascii=False),
        "lineage_hash": content_hash({"v": INGEST_VERSION, "sources": data["sources"]}),
        "run_id": run_id,
    }


def _rejection_row(rejection: Rejection, run_id: str | None) -> dict[str, Any]:
    return {
        "rejection_id": rejection.rejection_id,
        "source_file": rejection.source.file,
        "pointer": rejection.source.pointer,
        "source_format": rejection.source.format,
        "reason_code": rejection.reason_code,
        "reason": rejection.reason,
        "excerpt": rejection.excerpt,
        "lineage_hash": content_hash({"v": INGEST_VERSION, "file": rejection.source.file}),
        "run_id": run_id,
    }
