"""The post-replay state, checked on the rows a replay may have broken: written rows and those referencing deleted ones."""

from __future__ import annotations

import json

from envscale.environments.runtime import load_environment, open_episode
from envscale.environments.validation.alignment import replay
from envscale.environments.validation.post_state import COLUMNS, post_state_frame, post_state_rows
from envscale.environments.validation.records import ParsedCall


def _record(shop, tid, *calls):
    parsed = [ParsedCall(index=i, message=i, name=n, arguments=a) for i, (n, a) in enumerate(calls)]
    tools = {t.name: t for t in shop.manifest.tools}
    record, _ = replay(
        tid,
        shop.manifest.env_id,
        lambda: open_episode(shop.manifest, directory=shop.directory),
        parsed,
        tools,
    )
    return record


def test_a_deleted_parent_leaves_its_children_dangling(shop):
    loaded = load_environment(shop.manifest, directory=shop.directory)
    record = _record(shop, "t1", ("remove_customer", {"customer_id": "c1"}))
    rows = post_state_rows(loaded, shop.manifest.db_schema, record)
    by_key = {(r["table"], tuple(json.loads(r["key"]))): r for r in rows}
    assert set(by_key) == {("orders", ("o1",)), ("orders", ("o2",))}  # c1's orders; c1 itself is gone
    assert all(not r["refs_resolve"] and r["key_complete"] for r in rows)
    assert {r["env_id"] for r in rows} == {f"{shop.manifest.env_id}@t1"}


def test_an_update_that_keeps_references_is_clean(shop):
    loaded = load_environment(shop.manifest, directory=shop.directory)
    record = _record(shop, "t2", ("cancel_order", {"order_id": "o3"}))
    (row,) = post_state_rows(loaded, shop.manifest.db_schema, record)
    assert (row["table"], json.loads(row["key"]), row["refs_resolve"]) == ("orders", ["o3"], True)
    frame = post_state_frame([(loaded, shop.manifest.db_schema, record)])
    assert list(frame.columns) == COLUMNS and len(frame) == 1
