"""Every reason code, on hand-built trajectories over the real shop environment."""

from __future__ import annotations

from typing import Any

import pytest

from envscale.config import ValidateSettings
from envscale.environments.validation.store import LoadedEnv
from envscale.tasks.validate import run_contracts, validate_stages

SYSTEM = {"role": "system", "content": "You are a helpful shop assistant."}
USER = {"role": "user", "content": "Please cancel order o1."}
FINAL = {"role": "assistant", "content": "Order o1 is cancelled."}


def _cases(shop) -> dict[str, tuple[Any, Any, tuple[str, str | None, str | None]]]:
    """name → (trajectory, blueprint, expected (verdict, stage, reason_code))."""
    e = shop.env
    cancel = shop.blueprint(("cancel_order", {"order_id": "o1"}))
    read = shop.blueprint(("get_order", {"order_id": "o1"}), ("get_customer", {"customer_id": "c1"}))
    note = shop.blueprint(("add_note", {"order_id": "o3", "note": "gift wrap"}))
    bulk = shop.blueprint(("set_quantity", {"order_id": "o3", "quantity": 500}))
    orphan = shop.blueprint(("remove_customer", {"customer_id": "c2"}))
    base = shop.reverse(cancel)

    def convo(*middle: dict[str, Any], final: dict[str, Any] | None = FINAL, attempt: int = 0, **update: Any):
        messages = [SYSTEM, USER, *middle] + ([final] if final else [])
        tid = f"{update.pop('tid', 'x')}-{attempt}"
        return e.with_messages(base, messages, trajectory_id=tid, **update)

    good_call = (e.call_message("a", "cancel_order", {"order_id": "o1"}), e.tool_message("a", {"ok": True}))
    cases = {
        "accepted_reverse": (base, cancel, ("accepted", None, None)),
        "accepted_through_errors": (
            convo(
                e.call_message("a", "cancel_order", {"order_id": "o2"}),  # shipped: precondition fails
                e.tool_message("a", {"error": "order o2 is not pending"}),
                e.call_message("b", "get_order", {"order_id": "o9"}),  # not found
                e.tool_message("b", {"error": "order o9 not found"}),
                e.call_message("c", "cancel_order", {"order_id": " o1"[1:]}),
                e.tool_message("c", {"status": "cancelled"}),
                tid="errors",
            ),
            cancel,
            ("accepted", None, None),
        ),
        "bad_role_order": (
            convo(e.tool_message("a", {"ok": True}), *good_call, tid="roles"),
            cancel,
            ("rejected", "validity", "bad_role_order"),
        ),
        "unparseable_arguments": (
            convo(
                e.call_message("a", "cancel_order", '{"order_id": "o1"'), e.tool_message("a", {}), tid="parse"
            ),
            cancel,
            ("rejected", "validity", "unparseable_arguments"),
        ),
        "unknown_tool": (
            convo(
                e.call_message("a", "refund_everything", {"order_id": "o1"}),
                e.tool_message("a", {}),
                tid="unknown",
            ),
            cancel,
            ("rejected", "validity", "unknown_tool"),
        ),
        "schema_invalid_arguments": (
            convo(
                e.call_message("a", "cancel_order", {"order_id": 1}), e.tool_message("a", {}), tid="schema"
            ),
            cancel,
            ("rejected", "validity", "schema_invalid_arguments"),
        ),
        "repetition": (
            convo(
                *good_call,
                final={"role": "assistant", "content": "Your order is cancelled now. " * 30},
                tid="repeat",
            ),
            cancel,
            ("rejected", "validity", "repetition"),
        ),
        "improper_ending": (
            convo(*good_call, final=None, termination="turn_limit", tid="ending"),
            cancel,
            ("rejected", "validity", "improper_ending"),
        ),
        "wrong_final_state": (
            convo(
                e.call_message("a", "cancel_order", {"order_id": "o3"}),
                e.tool_message("a", {"ok": True}),
                tid="state",
            ),
            cancel,
            ("rejected", "state_alignment", "wrong_final_state"),
        ),
        "wrong_read_sequence": (
            convo(
                e.call_message("a", "get_order", {"order_id": "o1"}),
                e.tool_message("a", {}),
                e.call_message("b", "get_customer", {"customer_id": "c2"}),
                e.tool_message("b", {}),
                tid="reads",
                blueprint_id=read.blueprint_id,
            ),
            read,
            ("rejected", "exact_match", "wrong_read_sequence"),
        ),
        "exact_reads_normalized": (
            convo(
                e.call_message("a", "get_order", '{ "order_id" :  "o1" }'),
                e.tool_message("a", {}),
                e.call_message("b", "get_customer", '{\n  "customer_id":"c1"\n}'),
                e.tool_message("b", {}),
                tid="reads-ok",
                blueprint_id=read.blueprint_id,
            ),
            read,
            ("accepted", None, None),
        ),
        "undeclared_table": (
            shop.reverse(note),
            note,
            ("quarantined", "contract", "expect_column_values_to_be_in_set:table_declared"),
        ),
        "broken_constraint": (
            shop.reverse(bulk),
            bulk,
            ("quarantined", "contract", "expect_column_pair_values_a_to_be_greater_than_b:maximum,value_num"),
        ),
        "dangling_reference": (
            shop.reverse(orphan),
            orphan,
            ("quarantined", "contract", "expect_column_values_to_be_in_set:refs_resolve"),
        ),
    }
    return cases


def _judge(shop, cases, settings: ValidateSettings, docs_root=None):
    trajectories = [t for t, _, _ in cases.values()]
    blueprints = {bp.blueprint_id: bp for _, bp, _ in cases.values()}
    envs = {shop.manifest.env_id: LoadedEnv(shop.manifest, shop.manifest.db_path(shop.directory), "shop")}
    outcomes = validate_stages(trajectories, blueprints, envs, settings)
    report = run_contracts(outcomes, trajectories, envs, settings, docs_root)
    final = {o.trajectory_id: report.verdicts.get(o.trajectory_id, o.verdict) for o in outcomes}
    return outcomes, report, final


def test_every_reason_code_gets_exactly_its_verdict(shop, tmp_path):
    cases = _cases(shop)
    outcomes, report, final = _judge(shop, cases, ValidateSettings(), tmp_path / "docs")
    got = {name: final[t.trajectory_id] for name, (t, _, _) in cases.items()}
    for name, (_, _, expected) in cases.items():
        v = got[name]
        assert (v.verdict, v.stage, v.reason_code) == expected, (name, v)
    assert report.quarantined == 3
    dangling = got["dangling_reference"].evidence["contracts"]["environment_tables"]["rows"]
    assert [(r["table"], r["key"]) for r in dangling] == [("orders", '["o3"]')]
    assert (tmp_path / "docs" / "state_changes" / "index.html").exists()

    by_id = {o.trajectory_id: o for o in outcomes}
    # Evidence: the offending call, the differing rows.
    schema_bad = got["schema_invalid_arguments"].evidence
    assert schema_bad["call"]["name"] == "cancel_order" and "order_id" in schema_bad["error"]
    rows = got["wrong_final_state"].evidence["differing_rows"]
    assert {(r["table"], r["key"]["order_id"]) for r in rows} == {("orders", "o1"), ("orders", "o3")}
    reads = got["wrong_read_sequence"].evidence
    assert reads["position"] == 1 and reads["gold_call"]["arguments"] == {"customer_id": "c1"}
    undeclared = got["undeclared_table"].evidence["contracts"]["state_changes"]
    assert undeclared["rows"][0]["table"] == "audit_log"
    # The state-change record of an accepted trajectory is the replay's row diff.
    errors = by_id[cases["accepted_through_errors"][0].trajectory_id].state
    assert errors.n_failed_calls == 2
    assert [(c["table"], c["op"], c["after"]["status"]) for c in errors.changes] == [
        ("orders", "update", "cancelled")
    ]
    assert errors.declared_tables == ("orders",)


def test_funnel_flags_follow_the_stages(shop):
    cases = _cases(shop)
    outcomes, _, _ = _judge(
        shop,
        {
            k: cases[k]
            for k in ("bad_role_order", "wrong_final_state", "wrong_read_sequence", "accepted_reverse")
        },
        ValidateSettings(),
    )
    flags = {o.trajectory_id: (o.valid, o.aligned, o.exact) for o in outcomes}
    assert flags[cases["bad_role_order"][0].trajectory_id] == (False, False, False)
    assert flags[cases["wrong_final_state"][0].trajectory_id] == (True, False, False)
    assert flags[cases["wrong_read_sequence"][0].trajectory_id] == (True, True, False)
    assert flags[cases["accepted_reverse"][0].trajectory_id] == (True, True, True)


@pytest.mark.parametrize(
    ("limits", "code"),
    [
        ({"max_messages": 3}, "too_long"),
        ({"max_chars": 20}, "too_long"),
        ({"max_repetition_ratio": 0.0}, None),
    ],
)
def test_length_and_repetition_limits_are_configurable(shop, limits, code):
    cancel = shop.blueprint(("cancel_order", {"order_id": "o1"}))
    trajectory = shop.reverse(cancel)
    outcomes = validate_stages(
        [trajectory],
        {cancel.blueprint_id: cancel},
        {shop.manifest.env_id: LoadedEnv(shop.manifest, shop.manifest.db_path(shop.directory), "shop")},
        ValidateSettings(**limits),
    )
    assert outcomes[0].verdict.reason_code == code


def test_missing_blueprint_and_environment_are_rejected_not_lost(shop):
    cancel = shop.blueprint(("cancel_order", {"order_id": "o1"}))
    trajectory = shop.reverse(cancel)
    elsewhere = trajectory.model_copy(update={"trajectory_id": "other", "env_id": "no-such-env"})
    envs = {shop.manifest.env_id: LoadedEnv(shop.manifest, shop.manifest.db_path(shop.directory), "shop")}
    outcomes = validate_stages([trajectory, elsewhere], {}, envs, ValidateSettings())
    assert {o.trajectory_id: o.verdict.reason_code for o in outcomes} == {
        trajectory.trajectory_id: "missing_blueprint",
        "other": "missing_environment",
    }
