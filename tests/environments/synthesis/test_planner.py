"""Goal-directed blueprints on the real sample shop: dependent calls from facts the user holds."""

from __future__ import annotations

import random

from envscale.config import SynthesizeSettings
from envscale.environments.runtime import open_episode
from envscale.environments.synthesis.blueprints import SamplerConfig
from envscale.environments.synthesis.intents import template_instruction
from envscale.environments.synthesis.knowledge import fact_kind
from envscale.environments.synthesis.phrasing import final_reply
from envscale.environments.synthesis.planner import GoalPlanner, load_tables
from envscale.environments.synthesis.run import sample_environment
from envscale.environments.synthesis.values import required_values, scalars

_SETTINGS = SynthesizeSettings(blueprints_per_environment=12, sample_tries=6)


def _returned_before(bp, index: int) -> set[str]:
    return {str(v).lower() for c in bp.calls[:index] for v in scalars(c.result)}


def test_every_blueprint_replays_to_its_gold_state_and_is_goal_planned(shop):
    manifest, directory = shop
    kept, _ = sample_environment(manifest, directory, _SETTINGS)
    assert len(kept) >= 8
    for bp in kept:
        assert bp.planner == "goal" and bp.goals
        with open_episode(manifest, directory=directory) as ep:
            for call in bp.calls:
                assert ep.call(call.name, call.arguments).ok
            assert ep.state_hash() == bp.gold_state_hash


def test_non_first_calls_consume_earlier_results(shop):
    manifest, directory = shop
    kept, _ = sample_environment(manifest, directory, _SETTINGS)
    pairs = [(bp, i) for bp in kept for i in range(1, bp.n_calls)]
    assert pairs
    consuming = sum(
        any(str(v).lower() in _returned_before(bp, i) for v in scalars(bp.calls[i].arguments))
        for bp, i in pairs
    )
    assert consuming / len(pairs) >= 0.6


def test_ids_the_user_cannot_know_are_never_stated(shop):
    """An order number from a receipt may be stated; the created order's id never is."""
    manifest, directory = shop
    kept, _ = sample_environment(manifest, directory, _SETTINGS)
    for bp in kept:
        text = template_instruction(bp)
        for fact in bp.facts:
            assert fact_kind(fact.name) != "internal"
            assert str(fact.value) in text  # every fact the agent needs is in the request
        for name in ("create_order", "cancel_order", "get_order", "list_customers", "get_customer"):
            assert name not in text and name.replace("_", " ") not in text
        assert set(required_values(bp).values()) == {f.value for f in bp.facts}


def test_a_write_is_preceded_by_a_read_of_what_it_changes(shop):
    manifest, directory = shop
    kept, _ = sample_environment(manifest, directory, _SETTINGS)
    cancels = [(bp, i) for bp in kept for i, c in enumerate(bp.calls) if c.name == "cancel_order"]
    assert cancels
    for bp, i in cancels:
        order = bp.calls[i].arguments["order_id"]
        assert any(c.kind == "read" and order in map(str, scalars(c.result)) for c in bp.calls[:i])


def test_refusal_goals_leave_the_state_unchanged_and_the_reply_explains(shop):
    manifest, directory = shop
    config = SamplerConfig(refusal_share=1.0, multi_goal_share=0.0)
    with open_episode(manifest, directory=directory) as ep:
        planner = GoalPlanner(manifest, load_tables(ep, manifest), config)
    refusals = []
    for i in range(30):
        with open_episode(manifest, directory=directory) as ep:
            bp = planner.plan(
                ep, random.Random(i), seed=i, open_scratch=lambda: open_episode(manifest, directory=directory)
            )
        if bp.status == "kept" and bp.refusal:
            refusals.append(bp)
    assert refusals, "cancel_order refuses an order that is not pending: some plan must find it"
    for bp in refusals:
        assert bp.read_only and not bp.gold_diff  # nothing was written
        goal = next(g for g in bp.goals if g.refused)
        assert "not pending" in goal.refused
        reply = final_reply(bp)
        assert "can't" in reply and "not pending" in reply
        # The request still asks for the forbidden action, in the user's words.
        assert "cancel" in template_instruction(bp).lower()


def test_plans_are_deterministic_under_the_seed(shop):
    manifest, directory = shop
    first, _ = sample_environment(manifest, directory, _SETTINGS)
    again, _ = sample_environment(manifest, directory, _SETTINGS)
    assert [b.blueprint_id for b in first] == [b.blueprint_id for b in again]
    assert [template_instruction(b) for b in first] == [template_instruction(b) for b in again]


def test_the_walk_stays_available_for_comparison(shop):
    manifest, directory = shop
    kept, _ = sample_environment(manifest, directory, _SETTINGS.model_copy(update={"planner": "walk"}))
    assert kept and all(b.planner == "walk" and not b.goals for b in kept)


def test_goals_and_facts_survive_the_warehouse(home):
    from envscale.environments.synthesis import store
    from envscale.environments.synthesis.sample_env import register_sample_env
    from envscale.warehouse import open_warehouse

    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    kept, _ = sample_environment(manifest, home.environments, _SETTINGS)
    store.save_blueprints(wh, kept, None)
    loaded = {b.blueprint_id: b for b in store.load_blueprints(wh, manifest.env_id)}
    for bp in kept:
        back = loaded[bp.blueprint_id]
        assert (back.planner, back.goals, back.facts) == (bp.planner, bp.goals, bp.facts)
        assert template_instruction(back) == template_instruction(bp)


def test_ids_inside_generated_objects_name_rows_that_exist(shop):
    manifest, _ = shop
    products = [{"product_id": "p-1", "name": "lamp"}, {"product_id": "p-2", "name": "desk"}]
    planner = GoalPlanner(manifest, {"products": products}, SamplerConfig())
    items = [{"product_id": "choice group", "quantity": 4}, {"product_id": "sit", "quantity": 2}]
    real = planner._real_ids(items, random.Random(0))
    assert [i["quantity"] for i in real] == [4, 2]  # what the customer wants stays theirs
    assert {i["product_id"] for i in real} <= {"p-1", "p-2"}
    assert planner._real_ids({"note": "x", "ticket_id": "t"}, random.Random(0)) == {
        "note": "x",
        "ticket_id": "t",
    }


def test_only_a_customers_own_records_are_theirs():
    """Orders that refer to a customer, and the customer, are 'mine'; products and weather are the world's."""
    from types import SimpleNamespace

    from envscale.environments.schema.infer import infer_schema
    from envscale.environments.synthesis.planner import _customers_own
    from tests.support.tool_stubs import tool_stub

    tools = [
        tool_stub("get_customer", {"customer_id": {"type": "string"}}, ["customer_id"]),
        tool_stub("create_order", {"customer_id": {"type": "string"}, "total": {"type": "number"}}, []),
        tool_stub("get_product", {"product_id": {"type": "string"}}, ["product_id"]),
        tool_stub("get_weather", {"city": {"type": "string"}}, ["city"]),
    ]
    schema = infer_schema(tools).schema
    assert _customers_own(SimpleNamespace(db_schema=schema)) == {"customers", "orders"}
    assert {"products", "weathers"} <= set(schema.table_names)


def test_a_range_given_back_to_front_is_a_refusal_the_request_itself_shows(tmp_path):
    """A stay that ends before it starts is the customer's mistake: asked as said, refused by the
    date-order rule, nothing written, and no read needed to justify it."""
    from envscale.environments.builder import build_environment
    from tests.support.tool_stubs import tool_stub

    date = {"type": "string", "format": "date"}
    tools = [
        tool_stub(
            "create_stay",
            {"guest_name": {"type": "string"}, "check_in": date, "check_out": date},
            ["guest_name", "check_in", "check_out"],
            "write",
        ),
        tool_stub("get_stay", {"stay_id": {"type": "string"}}, ["stay_id"], "read"),
    ]
    result = build_environment(tools, name="stays", environments_dir=tmp_path, seed=1)
    assert result.accepted and any(r.kind == "date_order" for r in result.manifest.rules)
    manifest = result.manifest
    config = SamplerConfig(refusal_share=1.0, multi_goal_share=0.0, min_calls=1)
    with open_episode(manifest, directory=tmp_path) as ep:
        planner = GoalPlanner(manifest, load_tables(ep, manifest), config)
    refusals = []
    for i in range(12):
        with open_episode(manifest, directory=tmp_path) as ep:
            bp = planner.plan(
                ep, random.Random(i), seed=i, open_scratch=lambda: open_episode(manifest, directory=tmp_path)
            )
        refusals += [
            (bp, g) for g in bp.goals if bp.status == "kept" and g.refused and g.tool == "create_stay"
        ]
    assert refusals
    for bp, goal in refusals:
        assert not bp.gold_diff and goal.arguments["check_out"] < goal.arguments["check_in"]
        assert goal.arguments["check_out"] in template_instruction(bp)


def test_a_code_the_system_made_is_found_through_a_search_not_stated(tmp_path):
    """A product's SKU is no fact a customer holds: a goal that needs one searches for it by keyword."""
    from envscale.environments.builder import build_environment
    from tests.support.tool_stubs import tool_stub

    text = {"type": "string"}
    tools = [
        tool_stub("products_search_for_Shop", {"keyword": text, "brand": text}, ["keyword"], "read"),
        tool_stub("products_detail_for_Shop", {"sku": text}, ["sku"], "read"),
    ]
    result = build_environment(tools, name="shop", environments_dir=tmp_path, seed=2, min_working_tools=2)
    assert result.accepted
    manifest = result.manifest
    assert {p.table for p in manifest.programs} == {"products"}  # one table: the search finds the SKUs
    config = SamplerConfig(multi_goal_share=0.0, min_calls=1)
    with open_episode(manifest, directory=tmp_path) as ep:
        planner = GoalPlanner(manifest, load_tables(ep, manifest), config)
    details = []
    for i in range(16):
        with open_episode(manifest, directory=tmp_path) as ep:
            bp = planner.plan(ep, random.Random(i), seed=i)
        if bp.status == "kept" and bp.goals[0].tool == "products_detail_for_Shop":
            details.append(bp)
    assert details
    for bp in details:
        sku = bp.goals[0].arguments["sku"]
        assert [c.name for c in bp.calls][-1] == "products_detail_for_Shop" and len(bp.calls) >= 2
        assert sku in _returned_before(bp, len(bp.calls) - 1)  # the search returned it
        assert sku.lower() not in template_instruction(bp).lower()  # and the customer never said it
