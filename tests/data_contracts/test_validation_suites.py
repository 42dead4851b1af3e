"""The state_changes and trajectories suites, run through the real GE runner."""

from __future__ import annotations

from envscale.data_contracts.runner import run_contract
from envscale.data_contracts.state_changes import SUITE, failing_rows, state_changes_suite
from envscale.data_contracts.trajectories import trajectories_suite
from envscale.environments.schema.model import Column, SchemaModel, Table
from envscale.environments.synthesis.records import Trajectory, Usage
from envscale.environments.validation.contract_frames import (
    allowed_enum_cells,
    state_change_frame,
    trajectory_frame,
)
from envscale.environments.validation.records import StateChangeRecord

SCHEMA = SchemaModel(
    tables=(
        Table(
            name="orders",
            columns=(
                Column(name="order_id", type="VARCHAR", nullable=False),
                Column(name="status", type="VARCHAR", enum=("pending", "cancelled")),
                Column(name="quantity", type="BIGINT", minimum=1, maximum=10),
            ),
            primary_key=("order_id",),
        ),
        Table(name="notes", columns=(Column(name="note_id", type="VARCHAR"),), primary_key=("note_id",)),
    )
)


def _change(op, key, before=None, after=None, table="orders"):
    return {"table": table, "key": key, "op": op, "before": before, "after": after}


def _record(tid, *changes, declared=("orders",)):
    return StateChangeRecord(
        trajectory_id=tid, env_id="e1", final_state_hash="h", changes=changes, declared_tables=declared
    )


def test_each_broken_rule_fails_its_own_expectation_on_its_own_rows():
    row = {"order_id": "o1", "status": "pending", "quantity": 2}
    records = [
        _record("clean", _change("update", {"order_id": "o1"}, row, {**row, "status": "cancelled"})),
        _record("undeclared", _change("insert", {"note_id": "n1"}, None, {"note_id": "n1"}, table="notes")),
        _record("bad-op", _change("upsert", {"order_id": "o2"}, None, {**row, "order_id": "o2"})),
        _record("null-key", _change("delete", {"order_id": None}, row, None)),
        _record("unknown-column", _change("update", {"order_id": "o1"}, row, {**row, "colour": "red"})),
        _record("too-big", _change("update", {"order_id": "o1"}, row, {**row, "quantity": 11})),
        _record("too-small", _change("update", {"order_id": "o1"}, row, {**row, "quantity": 0})),
        _record("bad-enum", _change("update", {"order_id": "o1"}, row, {**row, "status": "lost"})),
    ]
    frame = state_change_frame(records, {"e1": SCHEMA})
    result = run_contract(SUITE, frame, state_changes_suite(allowed_enum_cells({"e1": SCHEMA})))
    assert not result.success
    by_trajectory: dict[str, set[str]] = {}
    for pos, names in failing_rows(result).items():
        by_trajectory.setdefault(frame.loc[pos, "trajectory_id"], set()).update(names)
    assert by_trajectory == {
        "undeclared": {"expect_column_values_to_be_in_set:table_declared"},
        "bad-op": {"expect_column_values_to_be_in_set:op"},
        "null-key": {"expect_column_values_to_not_be_null:key"},
        "unknown-column": {"expect_column_values_to_be_in_set:column_known"},
        "too-big": {"expect_column_pair_values_a_to_be_greater_than_b:maximum,value_num"},
        "too-small": {"expect_column_pair_values_a_to_be_greater_than_b:value_num,minimum"},
        "bad-enum": {"expect_column_values_to_be_in_set:enum_value"},
    }


def test_updates_check_only_changed_columns():
    row = {"order_id": "o1", "status": "pending", "quantity": 2}
    frame = state_change_frame(
        [_record("t", _change("update", {"order_id": "o1"}, row, {**row, "quantity": 3}))], {"e1": SCHEMA}
    )
    assert list(frame["column"]) == ["quantity"]
    assert frame.loc[0, "value_num"] == 3 and frame.loc[0, "maximum"] == 10


def _trajectory(tid, messages, tools=({"type": "function"},), usage=None):
    return Trajectory(
        trajectory_id=tid,
        task_id="k",
        env_id="e1",
        blueprint_id="b",
        mode="reverse",
        messages=tuple(messages),
        tools=tuple(tools),
        termination="reverse",
        usage=usage or Usage(),
    )


def test_trajectories_suite_checks_roles_lengths_tokens_and_tools():
    ok = [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "u"},
        {"role": "assistant", "content": "a"},
    ]
    trajectories = [
        _trajectory("ok", ok),
        _trajectory("roles", [{"role": "assistant", "content": "a"}, {"role": "user", "content": "u"}]),
        _trajectory("no-tools", ok, tools=()),
        _trajectory("tokens", ok, usage=Usage(prompt_tokens=5000)),
        _trajectory("long", ok + [{"role": "user", "content": "x" * 500}]),
    ]
    frame = trajectory_frame(trajectories)
    result = run_contract(
        "trajectories", frame, trajectories_suite(max_messages=10, max_chars=100, max_usage_tokens=1000)
    )
    got = {frame.loc[pos, "trajectory_id"]: set(names) for pos, names in result.failing_rows().items()}
    assert got == {
        "roles": {"expect_column_values_to_match_regex:roles"},
        "no-tools": {"expect_column_values_to_be_between:n_tools"},
        "tokens": {"expect_column_values_to_be_between:prompt_tokens"},
        "long": {"expect_column_values_to_be_between:n_chars"},
    }
