"""The one way a stage spreads work over the flow's task runner: deal, submit, collect.

Workers return; the flow writes (one warehouse writer). Every stage deals its items
into chunks here and maps one Prefect task over them with `fan_out`, so the task
runner chosen in `settings.scale` (threads, Dask, Ray) carries all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def deal(items: Sequence[T], parts: int, *, size: Callable[[T], int] | None = None) -> list[list[T]]:
    """``items`` in at most ``parts`` non-empty chunks.

    Without ``size``: round-robin, so neighbours (the tasks of one environment) spread
    over the workers. With ``size``: largest first onto the lightest chunk, so chunks
    carry about equal work (e.g. environments weighed by their trajectories).
    """
    n = max(1, min(parts, len(items)))
    if size is None:
        return [list(items[i::n]) for i in range(n) if items[i::n]]
    chunks: list[list[T]] = [[] for _ in range(n)]
    loads = [0] * n
    for item in sorted(items, key=lambda x: -size(x)):
        i = loads.index(min(loads))
        chunks[i].append(item)
        loads[i] += size(item)
    return [c for c in chunks if c]


def batches(items: Sequence[T], size: int) -> list[list[T]]:
    """``items`` in consecutive batches of ``size`` (the last may be shorter)."""
    step = max(1, size)
    return [list(items[i : i + step]) for i in range(0, len(items), step)]


def fan_out(task: Any, chunks: Sequence[T], args: Callable[[int, T], tuple[tuple, dict]]) -> Iterator[Any]:
    """Submit ``task`` once per chunk (``args(i, chunk)`` -> positional, keyword arguments) on the
    current flow's task runner; yield each chunk's result in chunk order as it is ready.

    All chunks are submitted before the first result is awaited, so they run side by side.
    """
    futures = []
    for i, chunk in enumerate(chunks):
        positional, keywords = args(i, chunk)
        futures.append(task.submit(*positional, **keywords))
    for future in futures:
        yield future.result()
