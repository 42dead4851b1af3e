"""The validate stage's stage-1-3 task: trajectories grouped per environment, a missing one rejected, replay counts summed.

Every reason code is exercised in tests/environments/validation/test_reason_codes.py; the flow in tests/flows/test_validate.py.
"""

from __future__ import annotations

from envscale.config import ValidateSettings
from envscale.environments.runtime import forget_environments
from envscale.environments.validation.store import LoadedEnv
from envscale.tasks.validate import ChunkOutcomes, stages_task, validate_stages
from tests.support import shop_env


def test_stages_group_by_environment_count_replays_and_reject_missing_environments(tmp_path):
    directory = tmp_path / "environments"
    manifest = shop_env.build_shop(directory)
    try:
        blueprint = shop_env.make_blueprint(manifest, directory, [("cancel_order", {"order_id": "o1"})])
        first, second = (shop_env.reverse_trajectory(manifest, blueprint, attempt) for attempt in (0, 1))
        stray = first.model_copy(update={"env_id": "gone", "trajectory_id": "stray"})
        envs = {manifest.env_id: LoadedEnv(manifest, manifest.db_path(directory), "shop")}
        stats: dict[str, int] = {}
        outcomes = validate_stages(
            [first, stray, second], {blueprint.blueprint_id: blueprint}, envs, ValidateSettings(), stats
        )
        by_id = {o.trajectory_id: o for o in outcomes}
        assert (
            by_id[first.trajectory_id].verdict.verdict
            == by_id[second.trajectory_id].verdict.verdict
            == "accepted"
        )
        missing = by_id["stray"].verdict
        assert (missing.stage, missing.reason_code, missing.evidence) == (
            "validity",
            "missing_environment",
            {"env_id": "gone"},
        )
        assert stats == {"replays": 1, "memo_hits": 1}  # two attempts, one call sequence

        chunk = stages_task.fn(
            [first, second], {blueprint.blueprint_id: blueprint}, envs, ValidateSettings(replay_memo=0)
        )
        assert isinstance(chunk, ChunkOutcomes) and (chunk.replays, chunk.memo_hits) == (2, 0)
        assert [o.verdict.verdict for o in chunk.outcomes] == ["accepted", "accepted"]
    finally:
        forget_environments()
