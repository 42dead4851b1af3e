"""The evaluate flow: real Prefect, warehouse, MLflow (sqlite registry) and an HTTP endpoint stand-in."""

from __future__ import annotations

import asyncio

import pytest

from envscale.warehouse import open_warehouse
from tests.support import evaluation_helpers as helpers
from tests.support import standin
from tests.support.oracle import oracle_responder


def _artifact_keys() -> set[str]:
    from prefect.client.orchestration import get_client

    async def read():
        async with get_client() as client:
            return await client.read_artifacts()

    return {a.key for a in asyncio.run(read())}


@pytest.mark.slow
def test_evaluate_an_endpoint_logs_mlflow_run_plots_and_artifact(prefect_harness, home):
    from envscale.flows.registry import stage
    from envscale.models.registry import client

    tasks = helpers.seed_heldout_shop(home)
    evaluate = stage("evaluate").load()
    # Passes on even seeds only: trial 0 passes, trial 1 fails -> pass^1 0.5, pass^2 0.
    policy = oracle_responder(tasks, succeeds=lambda r: r.get("seed", 0) % 2 == 0)
    with standin.StandInServer(policy) as server:
        out = evaluate(base_url=server.base_url, model_name="stand-in", k=2)
    assert out["tasks"] == len(tasks) and out["pass_1"] == 0.5 and out["pass_k"] == 0.0

    mlflow = client(home)
    experiment = mlflow.get_experiment_by_name("envscale-evaluation")
    assert experiment.artifact_location.startswith(home.mlflow_artifacts.resolve().as_uri())
    (run,) = mlflow.search_runs([experiment.experiment_id])
    assert run.data.metrics["pass_1"] == 0.5 and run.data.metrics["pass_hat_2"] == 0.0
    assert run.data.metrics["sample_shop.pass_1"] == 0.5
    artifacts = {a.path for a in mlflow.list_artifacts(run.info.run_id)}
    assert {"pass_k.png", "accuracy_by_calls.png", "report.json"} <= artifacts
    assert "evaluation-metrics" in _artifact_keys()
    with open_warehouse(home.warehouse).connect() as con:
        assert con.execute("SELECT count(*), max(pass_1) FROM evaluations").fetchone() == (1, 0.5)

    # An endpoint may change behind its URL: evaluating it again plays again.
    with standin.StandInServer(oracle_responder(tasks)) as server:
        again = evaluate(base_url=server.base_url, model_name="stand-in", k=2)
    assert again["pass_1"] == 1.0 and "skipped" not in again


@pytest.mark.slow
def test_evaluate_registered_version_tags_it_and_skips_when_unchanged(
    prefect_harness, home, tmp_path, monkeypatch
):
    from envscale.flows.evaluate import evaluate
    from envscale.models.registry import client
    from envscale.models.tiny import build_tiny_model

    tasks = helpers.seed_heldout_shop(home)
    (version,) = helpers.register_tiny_versions(home, build_tiny_model(tmp_path / "tiny"), 1)
    # A serving endpoint that hosts registered versions by name: the stand-in, whose oracle
    # plays only for that version's name.
    policy = oracle_responder(tasks, succeeds=lambda r: r["model"] == f"envscale-agent/{version}")
    with standin.StandInServer(policy) as server:
        monkeypatch.setenv("ENVSCALE_EVALUATE__SERVING_URL", server.base_url)
        out = evaluate(k=1)  # default agent: the newest version (no 'challenger' alias)
        assert out["agent"] == f"models:/envscale-agent/{version}" and out["pass_1"] == 1.0
        tags = client(home).get_model_version("envscale-agent", version).tags
        assert tags["eval.pass_1"] == "1.0000" and tags["eval.domain.sample_shop.pass_1"] == "1.0000"
        served = server.served
        again = evaluate(k=1)
        assert again["skipped"] is True and server.served == served  # nothing played twice
        other_k = evaluate(k=2)
        assert "skipped" not in other_k and server.served > served

    # No serving URL: the flow downloads the version and runs `transformers serve` on 127.0.0.1 itself.
    monkeypatch.delenv("ENVSCALE_EVALUATE__SERVING_URL")
    monkeypatch.setenv("ENVSCALE_LLM__AGENT__MAX_TOKENS", "8")
    monkeypatch.setenv("ENVSCALE_EVALUATE__MAX_TURNS", "2")
    served_here = evaluate(model=f"models:/envscale-agent/{version}", k=1, max_tasks=1)
    # An untrained 2-layer model does not solve the task, but its trial is played and judged.
    assert served_here["tasks"] == 1 and served_here["pass_1"] == 0.0
    run_dir = home.runs / served_here["run_id"]
    assert list(run_dir.glob("embedded-server-*.log"))
    (trials,) = run_dir.glob("trials-*.jsonl")
    assert len(trials.read_text().splitlines()) == 1


def test_evaluate_without_tasks_or_models_fails_clearly(prefect_harness, home):
    from envscale.flows.evaluate import EvaluationFailed, evaluate
    from envscale.tasks.evaluate import NoModel

    open_warehouse(home.warehouse)
    with pytest.raises(NoModel, match="run `envscale train`"):
        evaluate()
    with pytest.raises(EvaluationFailed, match="no tasks"):
        evaluate(base_url="http://127.0.0.1:9/v1")


def test_cli_rejects_bad_model_options():
    from typer.testing import CliRunner

    from envscale.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["evaluate", "--model", "envscale-agent"]).exit_code == 2
    assert (
        runner.invoke(app, ["evaluate", "--model", "models:/a/1", "--base-url", "http://x/v1"]).exit_code == 2
    )
