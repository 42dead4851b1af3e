"""Exact-duplicate merging and near-duplicate flagging.

Exact duplicates share a ``tool_id`` (same canonical source name, description, parameters and return
schema): they merge into the first occurrence, keeping every source reference and category, and the
kind with the strongest evidence. Near duplicates are distinct tools whose word sets (description words
plus parameter names) have a Jaccard similarity at or above the threshold; each is flagged with the
earlier tool it most resembles. Candidates come from MinHash LSH (24 hashes, 6 bands of 4; at most 32
earlier members per bucket), are ranked by their MinHash estimate, and the best 8 are checked exactly,
so 35,000 tools cost seconds instead of 600 million comparisons. The LSH parameters and caps are fixed,
so flags are deterministic; a pair under ~0.8 similarity may rarely be missed (by design of LSH).
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from envscale.environments.catalog.kind import evidence_rank
from envscale.environments.catalog.records import ToolRecord

_TOKEN = re.compile(r"[a-z0-9]+")
_K, _BANDS = 24, 6
_ROWS = _K // _BANDS
_PRIME = (1 << 61) - 1
_RNG = np.random.default_rng(20250913)  # fixed: flags must not change between runs
_A = _RNG.integers(1, 1 << 31, size=_K, dtype=np.uint64)
_B = _RNG.integers(0, 1 << 31, size=_K, dtype=np.uint64)
_MAX_PER_BUCKET = 32  # earlier members compared per bucket: bounds the cost of huge clusters
_EXACT_CHECKS = 8  # exact Jaccard computed for at most this many candidates per tool


def merge_exact(records: Iterable[ToolRecord]) -> tuple[list[ToolRecord], int]:
    """Records with equal tool_id merged, in first-seen order; also returns how many merges happened."""
    merged: dict[str, ToolRecord] = {}
    extra_sources: dict[str, list] = defaultdict(list)
    extra_categories: dict[str, list[str]] = defaultdict(list)
    notes: dict[str, set[str]] = defaultdict(set)
    best_kind: dict[str, tuple[int, str, str]] = {}
    n_merged = 0
    for record in records:
        tid = record.tool_id
        rank = evidence_rank(record.kind_reason)
        if tid not in merged:
            merged[tid] = record
            best_kind[tid] = (rank, record.kind, record.kind_reason)
            continue
        n_merged += 1
        extra_sources[tid].extend(record.sources)
        extra_categories[tid].extend(record.categories)
        notes[tid].update(record.notes)
        if rank > best_kind[tid][0]:
            best_kind[tid] = (rank, record.kind, record.kind_reason)
    out = []
    for tid, record in merged.items():
        if tid in extra_sources or best_kind[tid][1:] != (record.kind, record.kind_reason):
            _, kind, reason = best_kind[tid]
            record = record.model_copy(
                update={
                    "sources": tuple(dict.fromkeys([*record.sources, *extra_sources[tid]])),
                    "categories": tuple(dict.fromkeys([*record.categories, *extra_categories[tid]])),
                    "notes": tuple(sorted({*record.notes, *notes[tid]})),
                    "kind": kind,
                    "kind_reason": reason,
                }
            )
        out.append(record)
    return out, n_merged


def tokens(record: ToolRecord) -> frozenset[str]:
    words = set(_TOKEN.findall(record.description.lower()))
    props = record.parameters.get("properties")
    if isinstance(props, dict):
        words.update(f"param:{p.lower()}" for p in props)
    return frozenset(words)


def near_duplicates(records: list[ToolRecord], threshold: float) -> dict[int, tuple[int, float]]:
    """index -> (index of the earlier, most similar tool, Jaccard) for every tool at/over ``threshold``."""
    token_sets = [tokens(r) for r in records]
    signatures = _minhash(token_sets)
    matrix = np.zeros((len(records), _K), dtype=np.uint64)
    for i, sig in enumerate(signatures):
        if sig is not None:
            matrix[i] = sig
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    best: dict[int, tuple[int, float]] = {}
    # MinHash agreement estimates Jaccard with std ~0.1 at K=24: a loose pre-filter before the exact check.
    estimate_floor = threshold - 0.25
    for i, sig in enumerate(signatures):
        if sig is None:
            continue
        candidates: set[int] = set()
        for band in range(_BANDS):
            key = (band, sig[band * _ROWS : (band + 1) * _ROWS].tobytes())
            members = buckets[key]
            candidates.update(members[:_MAX_PER_BUCKET])
            members.append(i)
        if not candidates:
            continue
        ordered = np.fromiter(sorted(candidates), dtype=np.int64, count=len(candidates))
        estimates = (matrix[ordered] == sig).mean(axis=1)
        a = token_sets[i]
        keep = np.flatnonzero(estimates >= estimate_floor)
        if keep.size > _EXACT_CHECKS:  # the most promising by estimate (stable: earlier tools win ties)
            keep = keep[np.argsort(-estimates[keep], kind="stable")[:_EXACT_CHECKS]]
        for j in ordered[keep].tolist():
            b = token_sets[j]
            score = len(a & b) / len(a | b)
            if score >= threshold and (i not in best or score > best[i][1]):
                best[i] = (j, score)
    return best


def _minhash(token_sets: list[frozenset[str]], chunk: int = 4096) -> list[np.ndarray | None]:
    out: list[np.ndarray | None] = [None] * len(token_sets)
    for start in range(0, len(token_sets), chunk):
        ids, lengths, owners = [], [], []
        for offset, toks in enumerate(token_sets[start : start + chunk]):
            if toks:
                ids.extend(zlib.crc32(t.encode()) for t in sorted(toks))
                lengths.append(len(toks))
                owners.append(start + offset)
        if not owners:
            continue
        values = np.asarray(ids, dtype=np.uint64)
        hashed = (values[None, :] * _A[:, None] + _B[:, None]) % np.uint64(_PRIME)
        bounds = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        mins = np.minimum.reduceat(hashed, bounds, axis=1)  # (K, n_tools)
        for col, owner in enumerate(owners):
            out[owner] = mins[:, col].copy()
    return out
