"""The promote flow on a real MLflow sqlite registry with tiny registered models.

The agent endpoint is the stand-in serving registered versions by name, so
each version's pass rate per domain is set exactly by the test.
"""

from __future__ import annotations

import pytest

from envscale.warehouse import open_warehouse
from tests.support import evaluation_helpers as helpers
from tests.support import standin
from tests.support.oracle import oracle_responder


@pytest.mark.slow
def test_promotion_rules_on_a_real_registry(prefect_harness, home, tmp_path, monkeypatch):
    from envscale.flows.registry import stage
    from envscale.models.registry import client
    from envscale.models.tiny import build_tiny_model

    tasks = helpers.seed_heldout_shop(home, 2, "shop_a") + helpers.seed_heldout_shop(home, 2, "shop_b")
    domain_of = {t.task.instruction: t.domain for t in tasks}
    a_tasks = sorted(t.task.instruction for t in tasks if t.domain == "shop_a")
    versions = helpers.register_tiny_versions(home, build_tiny_model(tmp_path / "tiny"), 4)
    assert versions == ["1", "2", "3", "4"]

    def passes(model: str, instruction: str) -> bool:
        domain = domain_of[instruction]
        if model.startswith("base:"):  # the base model, served under 'base:<spec>', solves shop_a/1 only
            return instruction == a_tasks[0]  # pass^1 0.25
        return {
            "envscale-agent/1": domain == "shop_a",  # pass^1 0.5 (a 1.0, b 0.0)
            "envscale-agent/2": False,  # 0.0
            "envscale-agent/3": domain == "shop_b" or instruction == a_tasks[0],  # 0.75, but a drops to 0.5
            "envscale-agent/4": True,  # 1.0
        }[model]

    def succeeds(request):
        first = next(m for m in request["messages"] if m["role"] == "user")["content"]
        return passes(request["model"], first)

    for key, value in {"FLOOR": "0.3", "MARGIN": "0.1", "REGRESSION_TOLERANCE": "0.2"}.items():
        monkeypatch.setenv(f"ENVSCALE_PROMOTE__{key}", value)
    monkeypatch.setenv("ENVSCALE_EVALUATE__K", "1")
    monkeypatch.setenv("ENVSCALE_EVALUATE__MAX_TASKS", "4")
    promote = stage("promote").load()
    mlflow = client(home)

    def champion():
        return str(mlflow.get_model_version_by_alias("envscale-agent", "champion").version)

    with standin.StandInServer(oracle_responder(tasks, succeeds=succeeds)) as server:
        monkeypatch.setenv("ENVSCALE_EVALUATE__SERVING_URL", server.base_url)

        first = promote(challenger="models:/envscale-agent/1")
        assert first["decision"] == "promoted" and first["reason"].startswith("first_champion")
        assert first["challenger_pass_1"] == 0.5 and first["base_pass_1"] == 0.25 and champion() == "1"

        worse = promote(challenger="models:/envscale-agent/2")
        assert worse["decision"] == "rejected" and champion() == "1"
        assert worse["reason"].startswith("no_gain_over_base")  # 0.0 does not beat the base's 0.25
        tags = mlflow.get_model_version("envscale-agent", "2").tags
        assert (
            tags["envscale.promotion.decision"] == "rejected"
            and tags["envscale.promotion.champion_pass_1"] == "0.5000"
        )

        served = server.served
        regressed = promote(challenger="models:/envscale-agent/3")
        assert regressed["decision"] == "rejected" and regressed["reason"].startswith(
            "domain_regression: shop_a"
        )
        assert regressed["challenger_pass_1"] == 0.75 and champion() == "1"
        # The champion's report on the same tasks and seeds was reused: only v3's 4 tasks were played.
        assert server.served - served == sum(
            t.blueprint.n_calls + 1 for t in tasks if passes("envscale-agent/3", t.task.instruction)
        ) + sum(1 for t in tasks if not passes("envscale-agent/3", t.task.instruction))

        mlflow.set_registered_model_alias("envscale-agent", "challenger", "4")  # as a user would
        better = promote()  # default challenger: the 'challenger' alias, 4
        assert better["decision"] == "promoted" and better["challenger"] == "envscale-agent/4"
        assert champion() == "4"
        # promoted: the alias is cleared, so later default runs look at the newest version again
        assert "challenger" not in mlflow.get_registered_model("envscale-agent").aliases
        assert str(mlflow.get_model_version_by_alias("envscale-agent", "previous-champion").version) == "1"

        again = promote(challenger="models:/envscale-agent/4")
        assert again["decision"] == "already_champion"
        rerun = promote(challenger="models:/envscale-agent/2")  # v2 against the new champion: a new decision
        assert rerun["decision"] == "rejected" and "skipped" not in rerun
        repeat = promote(challenger="models:/envscale-agent/2")
        assert repeat["decision"] == "rejected" and repeat.get("reason") == rerun["reason"]

    # Rejected challengers stay registered; every decision is in the warehouse.
    assert {str(v.version) for v in mlflow.search_model_versions("name = 'envscale-agent'")} == {
        "1",
        "2",
        "3",
        "4",
    }
    with open_warehouse(home.warehouse).connect() as con:
        rows = con.execute("SELECT challenger, promoted FROM promotions ORDER BY created_at").fetchall()
        skipped = con.execute(
            "SELECT count(*) FROM runs WHERE flow = 'promote' AND summary LIKE '%same_as_run%'"
        ).fetchone()[0]
    assert rows == [("1", True), ("2", False), ("3", False), ("4", True), ("2", False)]
    assert skipped == 1
