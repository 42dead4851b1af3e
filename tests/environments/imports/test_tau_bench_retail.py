"""τ-bench retail: the documents as rows of the schema, and programs that follow tau-bench's rules on a real episode."""

from __future__ import annotations

import json

from envscale.environments.imports.tau_bench_retail import SCHEMA, rows_from_docs
from envscale.environments.runtime import open_episode
from tests.support.tau2_fixture import RETAIL_DB


def test_rows_from_docs_fill_every_table_and_variant():
    rows = rows_from_docs(RETAIL_DB)
    assert sorted(rows) == sorted(SCHEMA.table_names)
    assert [(v["item_id"], v["price"], v["available"]) for v in rows["variants"]] == [
        ("v1", 10.0, True),
        ("v2", 12.5, True),
    ]
    (order,) = rows["orders"]
    assert json.loads(order["items"])[0]["item_id"] == "v1"
    assert order["exchange_items"] is None and order["cancel_reason"] is None
    for table, table_rows in rows.items():
        assert set(table_rows[0]) <= set(SCHEMA.table(table).column_names)


def test_cancel_reasons_and_item_changes_follow_tau_bench(imported):
    manifests, directory = imported
    with open_episode(manifests["retail"], directory=directory) as ep:
        refused = ep.call("cancel_pending_order", {"order_id": "#W1", "reason": "because"})
        assert not refused.ok  # tau-bench allows two reasons only
        changed = ep.call(
            "modify_pending_order_items",
            {
                "order_id": "#W1",
                "item_ids": ["v1"],
                "new_item_ids": ["v2"],
                "payment_method_id": "gift_card_2",
            },
        )
        assert changed.ok, changed.error
        assert changed.content["status"] == "pending (item modified)"
        user = ep.call("get_user_details", {"user_id": "bo_ng_2"}).content
        assert user["payment_methods"]["gift_card_2"]["balance"] == 47.5  # the 2.50 difference is charged
        again = ep.call(
            "modify_pending_order_items",
            {
                "order_id": "#W1",
                "item_ids": ["v2"],
                "new_item_ids": ["v1"],
                "payment_method_id": "gift_card_2",
            },
        )
        assert not again.ok  # an order's items are modified once
