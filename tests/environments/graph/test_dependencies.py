from __future__ import annotations

import json

import pytest

from envscale.config import EndpointSettings
from envscale.environments.graph.dependencies import (
    BrokenReply,
    EndpointCompleter,
    build_dependencies,
    entity,
    parse_answer,
    produced_keys,
    rule_edges,
)
from tests.support import standin


@pytest.fixture
def airline(tool_factory):
    """A τ-bench-like airline catalog, by name."""
    tools = [
        tool_factory(
            "search_direct_flight",
            {"origin": "string", "destination": "string", "date": "string"},
            returns={
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"flight_number": {}, "origin": {}, "destination": {}, "price": {}},
                },
            },
        ),
        tool_factory(
            "get_user_details",
            {"user_id": "string"},
            returns={
                "type": "object",
                "properties": {
                    "user_id": {"type": "string"},
                    "reservations": {"type": "array", "items": {"type": "string"}},
                    "payment_methods": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"id": {}, "source": {}}},
                    },
                },
            },
        ),
        tool_factory(
            "book_reservation",
            {"user_id": "string", "flight_number": "string", "payment_method_id": "string"},
            kind="write",
        ),
        tool_factory("cancel_reservation", {"reservation_id": "string"}, kind="write"),
        tool_factory(
            "list_all_airports",
            returns={"type": "array", "items": {"type": "object", "properties": {"iata": {}, "city": {}}}},
        ),
    ]
    return {t.name: t for t in tools}


def _named(graph, tools):
    name = {t.tool_id: n for n, t in tools.items()}
    return {(name[e.source], name[e.target]): e for e in graph.edges}


def test_entities_and_produced_keys(airline, tool_factory):
    assert entity(airline["get_user_details"]) == "user"
    assert entity(airline["search_direct_flight"]) == "flight"
    assert entity(tool_factory("listCategories")) == "category"
    produced = produced_keys(airline["get_user_details"])
    assert {"reservation_id", "payment_method_id"} <= produced
    assert "user_id" not in produced  # it needs the user id, so it does not produce it
    assert "reservation_id" in produced_keys(airline["book_reservation"])  # a create yields its entity's id


def test_rule_direction_follows_key_flow(airline):
    graph = build_dependencies(list(airline.values()))
    edges = _named(graph, airline)
    assert set(edges) == {
        ("search_direct_flight", "book_reservation"),
        ("get_user_details", "book_reservation"),
        ("get_user_details", "cancel_reservation"),
        ("book_reservation", "cancel_reservation"),
    }
    assert edges[("search_direct_flight", "book_reservation")].keys == ("flight_number",)
    assert edges[("get_user_details", "book_reservation")].keys == ("payment_method_id",)
    assert all(e.origin == "rule" for e in graph.edges)
    assert graph.successors(airline["get_user_details"].tool_id) == sorted(
        [airline["book_reservation"].tool_id, airline["cancel_reservation"].tool_id]
    )
    assert graph.stats["rule_edges"] == 4


def test_reads_that_produce_keys_precede_writes_that_consume_them(tool_factory):
    read = tool_factory(
        "get_customer_orders",
        {"customer_id": "string"},
        returns={"type": "array", "items": {"type": "object", "properties": {"order_id": {}}}},
    )
    write = tool_factory(
        "update_order",
        {"order_id": "string"},
        returns={"type": "object", "properties": {"customer_id": {}}},
        kind="write",
    )
    edges = rule_edges([write, read])
    assert [(e.source, e.target) for e in edges] == [(read.tool_id, write.tool_id)]
    # Two reads feeding each other keep both directions: neither order is wrong.
    read2 = write.model_copy(update={"kind": "read", "tool_id": "x" + write.tool_id})
    assert len(rule_edges([read, read2])) == 2


def test_generic_knobs_do_not_link_tools(tool_factory):
    a = tool_factory(
        "search_songs",
        {"query": "string"},
        returns={"type": "object", "properties": {"limit": {}, "query": {}}},
    )
    b = tool_factory("search_artists", {"query": "string", "limit": "integer"})
    assert rule_edges([a, b]) == []


@pytest.mark.parametrize(
    "reply",
    [
        'Sure! {"dependent": true, "direction": "a_to_b"}',
        '```json\n{"dependent": true, "direction": "a_to_b"}\n```',
        '{"dependent": "yes", "direction": "a_to_b"}',
        '{"dependent": true, "direction": "sideways"}',
        '{"dependent": true, "direction": "none"}',
        '{"dependent": false, "direction": "a_to_b"}',
        '{"dependent": true, "direction": "a_to_b", "confidence": 0.9}',
        "[]",
        "",
    ],
)
def test_parse_answer_is_strict(reply):
    with pytest.raises(BrokenReply):
        parse_answer(reply)


def test_parse_answer_accepts_the_asked_shape():
    answer = parse_answer(
        ' {"dependent": true, "direction": "b_to_a", "keys": ["order_id"], "reason": "ids"}\n'
    )
    assert (answer.dependent, answer.direction, answer.keys) == (True, "b_to_a", ["order_id"])


def _refiner(decisions):
    """Stand-in policy: decisions[{a, b}] = (source, target) | None | 'broken'."""

    def respond(request):
        user = request["messages"][-1]["content"]
        a = json.loads(user.split("Tool A:\n")[1].split("\nTool B:\n")[0])["name"]
        b = json.loads(user.split("\nTool B:\n")[1])["name"]
        decision = decisions.get(frozenset((a, b)))
        if decision == "broken":
            return standin.text('I think A feeds B: {"dependent": true,')
        if decision is None:
            return standin.text(json.dumps({"dependent": False, "direction": "none", "reason": "unrelated"}))
        direction = "a_to_b" if decision[0] == a else "b_to_a"
        return standin.text(
            json.dumps(
                {"dependent": True, "direction": direction, "keys": [], "reason": f"{decision[0]} first"}
            )
        )

    return respond


def test_llm_refinement_through_local_endpoint_with_cache_and_broken_reply(tmp_path, airline):
    decisions = {
        frozenset(("search_direct_flight", "book_reservation")): ("search_direct_flight", "book_reservation"),
        frozenset(("get_user_details", "cancel_reservation")): None,
        frozenset(("book_reservation", "cancel_reservation")): "broken",
        frozenset(("get_user_details", "book_reservation")): ("book_reservation", "get_user_details"),
        frozenset(("list_all_airports", "search_direct_flight")): (
            "list_all_airports",
            "search_direct_flight",
        ),
    }
    similar = [(airline["list_all_airports"].tool_id, airline["search_direct_flight"].tool_id)]

    def refine(complete):  # the run and its rerun: same tools, pairs and answer cache
        return build_dependencies(
            list(airline.values()),
            complete=complete,
            candidate_pairs=similar,
            cache_dir=tmp_path / "answers",
            model_id=complete.model_id,
        )

    with standin.StandInServer(_refiner(decisions)) as server:
        endpoint = EndpointSettings(
            base_url=server.base_url, model="stand-in", max_retries=0, temperature=0.0
        )
        with EndpointCompleter(endpoint) as complete:
            graph = refine(complete)
            assert complete.usage["ok"] == 5
        edges = _named(graph, airline)
        assert {k: e.origin for k, e in edges.items()} == {
            ("search_direct_flight", "book_reservation"): "llm",  # confirmed
            ("book_reservation", "cancel_reservation"): "rule",  # broken reply: the rule stands
            ("book_reservation", "get_user_details"): "llm",  # the LLM turned it round
            ("list_all_airports", "search_direct_flight"): "llm",  # added from a similarity pair
        }
        assert edges[("search_direct_flight", "book_reservation")].keys == (
            "flight_number",
        )  # kept from the rule
        expected = {
            "asked": 5,
            "cached": 0,
            "broken": 1,
            "confirmed": 1,
            "added": 2,
            "rejected": 2,
            "rule_edges": 4,
        }
        assert {k: graph.stats[k] for k in expected} == expected
        assert all(m["role"] in ("system", "user") for m in server.requests[0]["messages"])

        # A rerun answers from the cache; only the broken pair is asked again.
        with EndpointCompleter(endpoint) as complete:
            again = refine(complete)
        assert (again.stats["asked"], again.stats["cached"], again.stats["broken"]) == (1, 4, 1)
        assert again.edges == graph.edges
        assert server.served == 6


def test_unusable_http_reply_counts_as_broken_and_max_pairs_caps_questions(tmp_path, airline):
    with standin.StandInServer(_refiner({})) as server:
        server.enqueue(standin.empty_choices(), standin.truncated())
        endpoint = EndpointSettings(base_url=server.base_url, model="stand-in", max_retries=0)
        with EndpointCompleter(endpoint) as complete:
            graph = build_dependencies(list(airline.values()), complete=complete, max_pairs=3)
    assert graph.stats["candidates"] == 3 and graph.stats["asked"] == 3
    assert graph.stats["broken"] == 2  # empty choices + truncated JSON: the rule stands for both pairs
    assert graph.stats["rejected"] == 1  # the third pair was answered 'unrelated'
    assert len(graph.edges) == 3  # 4 rule edges, one rejected


def test_dead_endpoint_fails_loudly(airline):
    from envscale.llm import EndpointDead

    endpoint = EndpointSettings(base_url="http://127.0.0.1:9/v1", max_retries=0, timeout_s=2)
    with EndpointCompleter(endpoint) as complete, pytest.raises(EndpointDead):
        build_dependencies(list(airline.values()), complete=complete)


def test_domain_dependencies_asks_about_similar_pairs_and_refiner_follows_mode(tmp_path, airline):
    from envscale.environments.graph.communities import Domain, DomainEdge
    from envscale.environments.graph.dependencies import domain_dependencies, make_refiner

    ids = sorted(t.tool_id for t in airline.values())
    a, b = sorted((airline["list_all_airports"].tool_id, airline["search_direct_flight"].tool_id))
    domain = Domain(
        domain_id="d",
        name="airline",
        tool_ids=tuple(ids),
        edges=(DomainEdge(source=a, target=b, weight=0.9),),
    )
    assert make_refiner(EndpointSettings(mode="off")) is None
    offline = domain_dependencies(domain, {t.tool_id: t for t in airline.values()})
    assert offline.stats["rule_edges"] == 4 and len(offline.edges) == 4
    decisions = {
        frozenset(("list_all_airports", "search_direct_flight")): (
            "list_all_airports",
            "search_direct_flight",
        )
    }
    with standin.StandInServer(_refiner(decisions)) as server:
        refiner = make_refiner(EndpointSettings(mode="llm", base_url=server.base_url, max_retries=0))
        with refiner:
            graph = domain_dependencies(
                domain,
                {t.tool_id: t for t in airline.values()},
                complete=refiner,
                cache_dir=tmp_path,
                max_pairs=5,
            )
    # The stand-in calls every rule pair unrelated and links the similar pair: only the LLM edge is left.
    assert _named(graph, airline).keys() == {("list_all_airports", "search_direct_flight")}
    assert graph.stats["rejected"] == 4 and graph.stats["added"] == 1
