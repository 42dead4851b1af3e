"""The validate flow end to end: real DuckDB warehouse, real runtime, GE, Prefect and MLflow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envscale.warehouse import open_warehouse

pytestmark = pytest.mark.slow


def _shop_env():
    from tests.support import shop_env

    return shop_env


def _register(wh, shop, manifest, trajectories_and_blueprints):
    wh.insert(
        "domains",
        [{"domain_id": "dom-shop", "name": "shop", "tool_ids": [], "n_tools": 6, "lineage_hash": "x"}],
    )
    wh.insert(
        "environments",
        [
            {
                "env_id": manifest.env_id,
                "domain_id": "dom-shop",
                "name": "shop",
                "origin": "generated",
                "path": str(manifest.db_path(Path(shop["dir"]))),
                "manifest": manifest.model_dump(mode="json"),
                "status": "accepted",
                "n_tools": len(manifest.tools),
                "lineage_hash": "x",
            }
        ],
    )
    _add(wh, trajectories_and_blueprints)


def _add(wh, items):
    wh.insert("blueprints", [bp.warehouse_row("synth") for _, bp in items])
    wh.insert("trajectories", [t.warehouse_row("synth") for t, _ in items])


def test_validate_flow_stores_verdicts_contracts_funnel_and_is_idempotent(home, prefect_harness):
    from mlflow import MlflowClient

    from envscale.flows.validate import validate

    env = _shop_env()
    directory = home.environments
    manifest = env.build_shop(directory)
    cancel = env.make_blueprint(manifest, directory, [("cancel_order", {"order_id": "o1"})])
    note = env.make_blueprint(manifest, directory, [("add_note", {"order_id": "o3", "note": "fragile"})])
    good = env.reverse_trajectory(manifest, cancel)
    wrong = env.with_messages(
        good,
        [
            *good.messages[:2],
            env.call_message("a", "cancel_order", {"order_id": "o3"}),
            env.tool_message("a", {}),
            good.messages[-1],
        ],
        trajectory_id="wrong-state",
    )
    undeclared = env.reverse_trajectory(manifest, note)
    wh = open_warehouse(home.warehouse)
    _register(wh, {"dir": directory}, manifest, [(good, cancel), (wrong, cancel), (undeclared, note)])

    first = validate()
    assert (first["validated"], first["accepted"], first["rejected"], first["quarantined"]) == (3, 1, 1, 1)
    with wh.connect(read_only=True) as con:
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT trajectory_id, verdict, stage, reason_code, accepted_for_export, state_changes FROM validations"
            ).fetchall()
        }
        suites = con.execute(
            "SELECT suite, success, docs_path FROM contract_results ORDER BY suite"
        ).fetchall()
    assert rows[good.trajectory_id][:4] == ("accepted", None, None, True)
    assert json.loads(rows[good.trajectory_id][4])[0]["after"]["status"] == "cancelled"
    assert rows["wrong-state"][:4] == ("rejected", "state_alignment", "wrong_final_state", False)
    assert rows[undeclared.trajectory_id][:4] == (
        "quarantined",
        "contract",
        "expect_column_values_to_be_in_set:table_declared",
        False,
    )
    assert [(s, ok) for s, ok, _ in suites] == [
        ("environment_tables", True),
        ("state_changes", False),
        ("trajectories", True),
    ]
    assert all(Path(p).is_file() and first["run_id"] in p for _, _, p in suites)

    funnel = {r["domain"]: r for r in first["funnel"]}
    assert funnel["overall"]["synthesized"] == 3 and funnel["shop"]["contract_clean"] == 1

    client = MlflowClient()
    experiment = client.get_experiment_by_name("envscale-validation")
    assert experiment is not None and str(home.mlflow_artifacts) in experiment.artifact_location
    run = client.get_run(first["mlflow_run_id"])
    metrics = run.data.metrics
    assert metrics["synthesized"] == 3 and metrics["valid"] == 3 and metrics["state_aligned"] == 2
    assert metrics["contract_clean"] == 1 and metrics["quarantined"] == 1
    assert metrics["domain/shop/contract_clean"] == 1

    # Unchanged inputs: nothing new is written.
    again = validate()
    assert again["validated"] == 0 and again["up_to_date"] == 3
    with wh.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM contract_results").fetchone()[0] == 3
        assert con.execute("SELECT count(*) FROM validations").fetchone()[0] == 3

    # A new trajectory: only it is validated.
    second = env.reverse_trajectory(manifest, cancel, attempt=1)
    _add(wh, [(second, cancel)])
    third = validate()
    assert (third["validated"], third["accepted"], third["up_to_date"]) == (1, 1, 3)


def test_validate_refuses_unknown_environments_and_accepts_names(home, prefect_harness):
    from envscale.config import UsageError
    from envscale.flows.validate import validate

    env = _shop_env()
    manifest = env.build_shop(home.environments)
    cancel = env.make_blueprint(manifest, home.environments, [("cancel_order", {"order_id": "o1"})])
    wh = open_warehouse(home.warehouse)
    _register(wh, {"dir": home.environments}, manifest, [(env.reverse_trajectory(manifest, cancel), cancel)])

    for selected in (["nosuch"], [manifest.env_id, "nosuch"]):
        with pytest.raises(UsageError, match=r"unknown environment\(s\): nosuch —"):
            validate(environments=selected, contracts=False)
    by_name = validate(environments=["shop"], contracts=False)
    assert by_name["validated"] == 1
