"""Blueprint sampling on a real environment: verifiable, grounded, deterministic, drops recorded."""

from __future__ import annotations

import random

from envscale.config import SynthesizeSettings
from envscale.environments.runtime import open_episode
from envscale.environments.synthesis.blueprints import SamplerConfig, generate_value, sample_blueprint
from envscale.environments.synthesis.intents import template_task
from envscale.environments.synthesis.run import sample_environment, state_rows
from envscale.environments.synthesis.values import missing_values, required_values


def test_kept_blueprints_replay_to_their_gold_state(shop):
    manifest, directory = shop
    kept, dropped = sample_environment(
        manifest, directory, SynthesizeSettings(planner="walk", blueprints_per_environment=8, min_calls=2)
    )
    assert len(kept) == 8
    edges = {(e.source, e.target) for e in manifest.edges}
    for bp in kept:
        assert bp.status == "kept" and 2 <= bp.n_calls <= 4
        assert all(c.ok for c in bp.calls)
        assert all(c.changed_state for c in bp.calls if c.kind == "write")
        # The walk follows dependency edges.
        assert all((a.name, b.name) in edges for a, b in zip(bp.calls, bp.calls[1:], strict=False))
        with open_episode(manifest, directory=directory) as ep:
            for call in bp.calls:
                assert ep.call(call.name, call.arguments).ok
            assert ep.state_hash() == bp.gold_state_hash
        assert bp.read_only == (not bp.gold_diff)
    for bp in dropped:
        assert bp.status == "dropped" and bp.reason.split(":")[0] in {
            "call_failed",
            "write_no_change",
            "too_short",
        }


def test_arguments_are_grounded_in_existing_rows_and_earlier_results(shop):
    manifest, directory = shop
    kept, _ = sample_environment(
        manifest, directory, SynthesizeSettings(planner="walk", blueprints_per_environment=10, min_calls=2)
    )
    customers = {"C-100", "C-200", "C-300"}
    for bp in kept:
        created = set()
        for call in bp.calls:
            if "customer_id" in call.arguments:
                assert call.arguments["customer_id"] in customers
            if call.name in ("get_order", "cancel_order"):
                # An order id from the seeded rows or from an order this blueprint created.
                assert call.arguments["order_id"] in created | {"O-1", "O-2"}
            if call.name == "create_order":
                created.add(call.result["order_id"])


def test_sampling_is_deterministic_under_the_seed(shop):
    manifest, directory = shop
    settings = SynthesizeSettings(planner="walk", blueprints_per_environment=5, seed=3)
    a, _ = sample_environment(manifest, directory, settings)
    b, _ = sample_environment(manifest, directory, settings)
    c, _ = sample_environment(manifest, directory, settings.model_copy(update={"seed": 4}))
    assert [x.blueprint_id for x in a] == [x.blueprint_id for x in b]
    assert [x.blueprint_id for x in a] != [x.blueprint_id for x in c]


def test_a_failing_step_drops_the_blueprint_with_its_reason(shop):
    manifest, directory = shop
    # get_order with no known order ids: every generated id misses, so the step fails every try.
    only_get_order = manifest.model_copy(
        update={"tools": tuple(t for t in manifest.tools if t.name == "get_order")}
    )
    with open_episode(manifest, directory=directory) as ep:
        ep.tools = only_get_order.tools
        bp = sample_blueprint(manifest.env_id, ep, [], random.Random(0), SamplerConfig(), rows=[])
    assert bp.status == "dropped" and bp.reason.startswith("call_failed: get_order")


def test_state_rows_read_the_current_tables(shop):
    manifest, directory = shop
    with open_episode(manifest, directory=directory) as ep:
        rows = state_rows(ep, manifest)
    assert {next(iter(r)) for r in rows} == {"customers", "orders"}


def test_template_instruction_carries_every_required_value(shop):
    manifest, directory = shop
    kept, _ = sample_environment(
        manifest, directory, SynthesizeSettings(planner="walk", blueprints_per_environment=8, min_calls=2)
    )
    for bp in kept:
        task = template_task(bp)
        assert task.writer == "template" and task.fallback_reason is None
        assert missing_values(task.instruction, required_values(bp).values()) == []


def test_generated_values_respect_the_schema():
    rng = random.Random(1)
    assert generate_value("item", {"type": "string", "enum": ["a", "b"]}, rng) in ("a", "b")
    n = generate_value("quantity", {"type": "integer", "minimum": 2, "maximum": 3}, rng)
    assert n in (2, 3)
    assert generate_value("when", {"type": "string", "format": "date"}, rng).startswith("2024-")
    assert "@" in generate_value("email", {"type": "string"}, rng)


def test_generated_values_clamp_to_bigint_and_keep_exclusive_bounds():
    rng = random.Random(1)
    huge = {"type": "integer", "minimum": 2**63, "maximum": 18446744073709551615}
    assert all(generate_value("quota", huge, rng) <= 2**63 - 1 for _ in range(20))
    excl = {"type": "integer", "exclusiveMinimum": 3, "exclusiveMaximum": 6}
    assert {generate_value("n", excl, rng) for _ in range(50)} <= {4, 5}
