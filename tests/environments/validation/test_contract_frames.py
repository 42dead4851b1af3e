"""Contract frames: one row per changed cell with its bounds, enum cell and declared flag; one row per trajectory."""

from __future__ import annotations

import math

from envscale.environments.validation.contract_frames import (
    STATE_CHANGE_COLUMNS,
    TRAJECTORY_COLUMNS,
    allowed_enum_cells,
    enum_cell,
    state_change_frame,
    trajectory_frame,
)
from envscale.environments.validation.records import StateChangeRecord
from tests.support import shop_env

SCHEMAS = {"e1": shop_env.SCHEMA}


def _record(*changes, declared=("orders",)) -> StateChangeRecord:
    return StateChangeRecord(
        trajectory_id="t1",
        env_id="e1",
        final_state_hash="h",
        changes=changes,
        declared_tables=declared,
        called_tools=("x",),
        n_failed_calls=0,
    )


def test_allowed_enum_cells_cover_every_enum_value():
    cells = allowed_enum_cells(SCHEMAS)
    assert enum_cell("e1", "orders", "status", "pending") in cells
    assert enum_cell("e1", "customers", "tier", "gold") in cells
    assert len(cells) == 5 and enum_cell("e1", "orders", "status", "lost") not in cells


def test_an_update_yields_its_changed_cells_only():
    change = {
        "table": "orders",
        "key": {"order_id": "o1"},
        "op": "update",
        "before": {"order_id": "o1", "status": "pending", "quantity": 2},
        "after": {"order_id": "o1", "status": "lost", "quantity": 500},
    }
    frame = state_change_frame([_record(change)], SCHEMAS)
    assert list(frame.columns) == list(STATE_CHANGE_COLUMNS)
    rows = {r["column"]: r for r in frame.to_dict("records")}
    assert set(rows) == {"status", "quantity"}
    assert (rows["quantity"]["value_num"], rows["quantity"]["minimum"], rows["quantity"]["maximum"]) == (
        500.0,
        1,
        100,
    )
    assert rows["status"]["enum_value"] == enum_cell("e1", "orders", "status", "lost")
    assert math.isnan(rows["status"]["value_num"])
    assert all(
        r["table_declared"] and r["column_known"] and r["key"] == '{"order_id":"o1"}' for r in rows.values()
    )


def test_undeclared_tables_unknown_columns_and_deletes():
    insert = {
        "table": "audit_log",
        "key": {"entry_id": "a1"},
        "op": "insert",
        "after": {"entry_id": "a1", "ghost": 1},
    }
    delete = {
        "table": "customers",
        "key": {"customer_id": "c1"},
        "op": "delete",
        "before": {"customer_id": "c1"},
    }
    frame = state_change_frame([_record(insert, delete)], SCHEMAS).to_dict("records")
    column = [r["column"] if isinstance(r["column"], str) else None for r in frame]  # pandas: None → NaN
    assert [
        (r["table"], c, r["table_declared"], r["column_known"]) for r, c in zip(frame, column, strict=True)
    ] == [
        ("audit_log", "entry_id", False, True),
        ("audit_log", "ghost", False, False),
        ("customers", None, False, True),  # a delete is one row with no column
    ]


def test_trajectory_frame_counts_roles_sizes_and_calls(tmp_path):
    directory = tmp_path / "environments"
    manifest = shop_env.build_shop(directory)
    blueprint = shop_env.make_blueprint(manifest, directory, [("get_order", {"order_id": "o1"})])
    trajectory = shop_env.reverse_trajectory(manifest, blueprint)
    (row,) = trajectory_frame([trajectory]).to_dict("records")
    assert list(row) == list(TRAJECTORY_COLUMNS)
    assert row["roles"] == " ".join(m["role"] for m in trajectory.messages)
    assert (row["n_messages"], row["n_tool_calls"], row["n_tools"]) == (
        len(trajectory.messages),
        1,
        len(manifest.tools),
    )
