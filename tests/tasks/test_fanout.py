"""deal/batches/fan_out: the one chunked-work path of every stage."""

from __future__ import annotations

import pytest

from envscale.tasks.fanout import batches, deal, fan_out


def test_round_robin_spreads_neighbours_and_loses_nothing() -> None:
    items = [f"env{i // 3}-t{i % 3}" for i in range(9)]  # 3 tasks of each of 3 environments
    chunks = deal(items, 3)
    assert sorted(x for c in chunks for x in c) == sorted(items)
    assert all(len({x.split("-")[0] for x in c}) == 3 for c in chunks)


def test_sized_deal_balances_the_load() -> None:
    weights = {"a": 10, "b": 6, "c": 5, "d": 4, "e": 1}
    chunks = deal(list(weights), 2, size=weights.__getitem__)
    loads = sorted(sum(weights[x] for x in c) for c in chunks)
    naive = sorted(sum(weights[x] for x in c) for c in deal(list(weights), 2))
    assert loads == [12, 14] and naive == [10, 16]  # largest-first beats dealing in order


@pytest.mark.parametrize(("n", "parts", "expected"), [(0, 4, 0), (2, 8, 2), (10, 3, 3), (5, 0, 1)])
def test_never_more_chunks_than_items_or_an_empty_chunk(n: int, parts: int, expected: int) -> None:
    chunks = deal(list(range(n)), parts)
    assert len(chunks) == expected and all(chunks)


def test_batches_keep_order() -> None:
    assert batches(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]


def test_fan_out_runs_chunks_side_by_side_on_the_task_runner_and_keeps_their_order(prefect_harness) -> None:
    import threading

    from prefect import flow, task
    from prefect.task_runners import ThreadPoolTaskRunner

    seen_threads: set[int] = set()
    barrier = threading.Barrier(3, timeout=20)  # passes only if all three chunks run at once

    @task
    def total(chunk: list[int], offset: int) -> int:
        seen_threads.add(threading.get_ident())
        barrier.wait()
        return sum(chunk) + offset

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=3))
    def run() -> list[int]:
        chunks = deal(list(range(9)), 3)
        return list(fan_out(total, chunks, lambda i, c: ((c,), {"offset": 100 * i})))

    assert run() == [0 + 3 + 6, 1 + 4 + 7 + 100, 2 + 5 + 8 + 200]
    assert len(seen_threads) == 3
