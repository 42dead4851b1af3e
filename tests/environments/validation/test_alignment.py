"""State alignment: the agent's calls replayed on a fresh episode; the differing rows are the evidence."""

from __future__ import annotations

from envscale.environments.runtime import open_episode
from envscale.environments.validation.alignment import differing_rows, replay
from envscale.environments.validation.records import ParsedCall


def _calls(*calls):
    return [ParsedCall(index=i, message=i, name=n, arguments=a) for i, (n, a) in enumerate(calls)]


def test_replay_records_outcomes_state_and_declared_tables(shop):
    tools = {t.name: t for t in shop.manifest.tools}
    gold = shop.blueprint(("cancel_order", {"order_id": "o1"}))
    record, replayed = replay(
        "t1",
        shop.manifest.env_id,
        lambda: open_episode(shop.manifest, directory=shop.directory),
        _calls(
            ("cancel_order", {"order_id": "o9"}), ("cancel_order", {"order_id": "o1"}), ("get_order", None)
        ),
        tools,
    )
    assert [(r.ok, r.error_code) for r in replayed] == [
        (False, "precondition_failed"),
        (True, None),
        (False, "invalid_arguments"),  # no arguments for a tool that requires order_id
    ]
    assert record.final_state_hash == gold.gold_state_hash  # the failed calls did not matter
    assert record.called_tools == ("cancel_order", "get_order")
    assert record.declared_tables == ("orders",) and record.n_failed_calls == 2
    assert [(c["table"], c["op"]) for c in record.changes] == [("orders", "update")]


def test_a_fresh_episode_per_replay(shop):
    tools = {t.name: t for t in shop.manifest.tools}
    opened = []

    def fresh():
        opened.append(1)
        return open_episode(shop.manifest, directory=shop.directory)

    calls = _calls(("cancel_order", {"order_id": "o1"}))
    first, _ = replay("a", shop.manifest.env_id, fresh, calls, tools)
    second, replayed = replay("b", shop.manifest.env_id, fresh, calls, tools)
    assert len(opened) == 2 and replayed[0].ok  # o1 is pending again: the first replay left no trace
    assert first.final_state_hash == second.final_state_hash


def test_differing_rows_shows_only_net_differences():
    key = {"order_id": "o1"}
    same = {"table": "orders", "key": key, "op": "update", "after": {"status": "cancelled"}}
    other = {"table": "orders", "key": {"order_id": "o2"}, "op": "delete", "after": None}
    assert differing_rows([same], [same]) == []
    wrong = {**same, "after": {"status": "shipped"}}
    assert differing_rows([wrong, other], [same]) == [
        {
            "table": "orders",
            "key": key,
            "agent": {"op": "update", "after": {"status": "shipped"}},
            "gold": {"op": "update", "after": {"status": "cancelled"}},
        },
        {
            "table": "orders",
            "key": {"order_id": "o2"},
            "agent": {"op": "delete", "after": None},
            "gold": None,
        },
    ]
