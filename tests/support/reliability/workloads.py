"""Deterministic episode scripts over the sample shop, to run one by one or 256 at once."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ITEMS = ("lamp", "chair", "desk", "mug")


def seed_rows(manifest: Any, directory: Path) -> tuple[list[str], list[str]]:
    """Customer ids and pending order ids of the environment's initial state."""
    from envscale.environments.runtime import open_episode

    with open_episode(manifest, directory=directory) as ep:
        customers = [r["customer_id"] for r in ep.query('SELECT customer_id FROM "customers" ORDER BY 1')]
        pending = [
            r["order_id"]
            for r in ep.query("SELECT order_id FROM \"orders\" WHERE status = 'pending' ORDER BY 1")
        ]
    return customers, pending


def play_script(episode: Any, i: int, customers: list[str], pending: list[str]) -> dict[str, Any]:
    """Episode ``i``'s calls; many episodes write the same rows (the same new order ids, the same seed orders)."""
    results = []
    created = episode.call(
        "create_order",
        {"customer_id": customers[i % len(customers)], "item": ITEMS[i % len(ITEMS)], "quantity": 1 + i % 3},
    )
    results.append(created.model_dump())
    if created.ok:
        order_id = created.content["order_id"]
        results.append(episode.call("get_order", {"order_id": order_id}).model_dump())
        if i % 3 == 0:
            results.append(episode.call("cancel_order", {"order_id": order_id}).model_dump())
    if pending and i % 2 == 0:  # contended: half the episodes cancel the same few seed orders
        results.append(episode.call("cancel_order", {"order_id": pending[i % len(pending)]}).model_dump())
    if i % 7 == 0:
        results.append(episode.call("get_customer", {"customer_id": "nobody"}).model_dump())
    return {
        "state_hash": episode.state_hash(),
        "diff": json.dumps([c.model_dump() for c in episode.diff()], sort_keys=True, default=str),
        "results": json.dumps(results, sort_keys=True, default=str),
    }


def run_episodes(
    manifest: Any, directory: Path, n: int, *, concurrent: bool
) -> tuple[dict[int, dict[str, Any]], int]:
    """Outcome per episode, and how many episodes forked after a write conflict."""
    from envscale.environments.runtime import open_episode

    customers, pending = seed_rows(manifest, directory)
    outcomes: dict[int, dict[str, Any]] = {}
    forks = 0
    if not concurrent:
        for i in range(n):
            with open_episode(manifest, directory=directory) as ep:
                outcomes[i] = play_script(ep, i, customers, pending)
        return outcomes, 0
    barrier = threading.Barrier(n)
    lock = threading.Lock()

    def one(i: int) -> None:
        nonlocal forks
        ep = open_episode(manifest, directory=directory)
        try:
            barrier.wait(timeout=120)  # every episode open before any call: maximal interleaving
            out = play_script(ep, i, customers, pending)
            with lock:
                outcomes[i] = out
                forks += bool(getattr(ep, "forked", False))
        finally:
            ep.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        for future in [pool.submit(one, i) for i in range(n)]:
            future.result()
    return outcomes, forks
