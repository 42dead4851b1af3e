"""bench/data_quality.py's measures: an id counts as internal unless the user could hold it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location("data_quality", REPO / "bench" / "data_quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["data_quality"] = module  # dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


def _item(dq, instruction: str, id_tables: dict | None = None):
    calls = (("track", {"id": "con_af4396"}, {"status": "at sea"}), ("get_port", {"port": "Oslo"}, {}))
    return dq.Item(
        instruction=instruction,
        calls=calls,
        kinds={"track": "read", "get_port": "read"},
        tools=frozenset({"track", "get_port"}),
        id_tables=id_tables or {},
    )


def test_an_id_the_user_holds_by_its_table_is_not_internal():
    dq = _module()
    text = "Where is my container con_af4396 now, and what about the port of Oslo?"
    bare = dq.measure([_item(dq, text)])
    assert bare["internal"] == 1.0 and bare["from_user"] == 0.0  # a bare 'id': the system's own
    bound = dq.measure([_item(dq, text, {("track", "id"): "container_tracking"})])
    assert bound["internal"] == 0.0 and bound["from_user"] == 1.0  # a tracking number is on a receipt
    unsaid = dq.measure([_item(dq, "Where is my container now?")])
    assert unsaid["internal"] == 0.0 and unsaid["names_tool"] == 0.0
    named = dq.measure([_item(dq, "Please track con_af4396.", {("track", "id"): "container_tracking"})])
    assert named["names_tool"] == 1.0


def test_secrets_hashes_and_filler_words_are_counted_where_said():
    dq = _module()
    calls = (
        ("get_drug_for_Kon_a1b2c3", {"drug": "help past", "api_key": "k-0991x"}, {}),
        ("get_port", {"port": "Oslo"}, {}),
    )

    def item(text: str):
        tools = frozenset({"get_drug_for_Kon_a1b2c3", "get_port", "get_decade"})
        return dq.Item(instruction=text, calls=calls, kinds={}, tools=tools)

    said = dq.measure([item("Tell me about the drug a1b2c3 help past with key k-0991x, and Oslo.")])
    assert (said["secrets"], said["hashes"], said["salad"]) == (1.0, 1.0, 1.0)
    clean = dq.measure([item("Tell me about the port of Oslo.")])
    assert (clean["secrets"], clean["hashes"], clean["salad"]) == (0.0, 0.0, 0.0)
    assert dq._name_hashes(["get_decade", "math_factorial_ff24c6_2"]) == {"ff24c6"}  # a word is no hash
