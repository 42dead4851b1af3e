"""EnvironmentValidator on the real shop environment: each stage's verdict, and equal replays played once."""

from __future__ import annotations

from envscale.environments.runtime import open_episode
from envscale.environments.validation.validator import EnvironmentValidator


def _validator(shop, **limits):
    return EnvironmentValidator(
        shop.manifest.env_id,
        shop.manifest.tools,
        lambda: open_episode(shop.manifest, directory=shop.directory),
        **limits,
    )


def test_the_reverse_trajectory_is_accepted_and_its_replay_memoized(shop):
    blueprint = shop.blueprint(("get_order", {"order_id": "o1"}), ("cancel_order", {"order_id": "o1"}))
    validator = _validator(shop)
    first = validator.validate(shop.reverse(blueprint), blueprint)
    assert first.verdict.verdict == "accepted" and (first.valid, first.aligned, first.exact) == (
        True,
        True,
        True,
    )
    second = validator.validate(shop.reverse(blueprint, attempt=1), blueprint)
    assert second.verdict.verdict == "accepted"
    assert (validator.replays, validator.memo_hits) == (1, 1)


def test_a_trajectory_for_another_goal_ends_in_the_wrong_state(shop):
    wanted = shop.blueprint(("cancel_order", {"order_id": "o1"}))
    other = shop.blueprint(("cancel_order", {"order_id": "o3"}))
    outcome = _validator(shop).validate(shop.reverse(other), wanted)
    assert (outcome.verdict.stage, outcome.verdict.reason_code) == ("state_alignment", "wrong_final_state")
    assert outcome.valid and not outcome.aligned
    assert {r["key"]["order_id"] for r in outcome.verdict.evidence["differing_rows"]} == {"o1", "o3"}


def test_read_only_blueprints_need_the_same_reads(shop):
    wanted = shop.blueprint(("get_order", {"order_id": "o1"}))
    other = shop.blueprint(("get_order", {"order_id": "o2"}))
    outcome = _validator(shop).validate(shop.reverse(other), wanted)
    assert (outcome.verdict.stage, outcome.verdict.reason_code) == ("exact_match", "wrong_read_sequence")
    assert outcome.aligned and not outcome.exact


def test_no_blueprint_and_broken_conversations_are_rejected_with_reasons(shop):
    blueprint = shop.blueprint(("get_order", {"order_id": "o1"}))
    trajectory = shop.reverse(blueprint)
    missing = _validator(shop).validate(trajectory, None)
    assert (missing.verdict.stage, missing.verdict.reason_code) == ("state_alignment", "missing_blueprint")
    too_long = _validator(shop, max_messages=2).validate(trajectory, blueprint)
    assert too_long.verdict.stage == "validity" and not too_long.valid
