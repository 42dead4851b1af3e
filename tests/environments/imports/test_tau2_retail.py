"""τ² retail: v1's tables and programs (without `think`) over τ²'s db.json."""

from __future__ import annotations

import json

from envscale.environments.imports import tau_bench_retail as v1
from envscale.environments.imports.tau2_retail import PROGRAMS, SCHEMA, load_rows
from envscale.environments.runtime import open_episode
from tests.support.tau2_fixture import write_domain


def test_programs_are_v1s_without_think():
    assert SCHEMA is v1.SCHEMA
    assert [p.name for p in PROGRAMS] == [p.name for p in v1.PROGRAMS if p.name != "think"]
    assert "think" in {p.name for p in v1.PROGRAMS}


def test_load_rows_reads_db_json_into_the_tables(tmp_path):
    rows = load_rows(write_domain(tmp_path, "retail"))
    assert {t: len(r) for t, r in rows.items()} == {"users": 1, "products": 1, "orders": 1, "variants": 2}
    (order,) = rows["orders"]
    assert (order["order_id"], order["user_id"], order["status"]) == ("#W1", "bo_ng_2", "pending")
    assert json.loads(rows["users"][0]["payment_methods"])["gift_card_2"]["balance"] == 50.0
    assert set(rows["users"][0]) <= set(SCHEMA.table("users").column_names)


def test_retail_gold_actions_replay(imported) -> None:
    manifests, out = imported
    with open_episode(manifests["retail"], directory=out) as ep:
        assert ep.call("find_user_id_by_email", {"email": "bo@example.com"}).content == "bo_ng_2"
        cancelled = ep.call("cancel_pending_order", {"order_id": "#W1", "reason": "no longer needed"})
        assert cancelled.ok and cancelled.content["status"] == "cancelled"
        balance = ep.query("SELECT payment_methods FROM users")[0]["payment_methods"]["gift_card_2"][
            "balance"
        ]
        assert balance == 60.0  # refunded to the gift card at once
