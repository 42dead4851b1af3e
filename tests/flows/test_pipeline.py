"""The whole pipeline end to end, every stage real, on a small budget with a tiny model.

The README's `make demo` runs the same chain with SmolLM2-135M; here a 2-layer
model keeps it to minutes on CPU while every component (Prefect, DuckDB, GE,
TRL, MLflow registry, `transformers serve`) runs for real.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from envscale.flows.registry import STAGES

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_pipeline_runs_every_stage_end_to_end(prefect_harness, home, monkeypatch, tmp_path):
    from envscale.models.tiny import build_tiny_model

    tiny = build_tiny_model(tmp_path / "tiny")
    monkeypatch.setenv("ENVSCALE_CONFIG", str(REPO / "configs" / "demo.toml"))
    for key, value in {
        "TRAIN__BASE_MODEL": str(tiny),
        "TRAIN__MAX_STEPS": "1",
        "TRAIN__MAX_LENGTH": "4096",
        "BUILD__MAX_ENVIRONMENTS": "4",
        "SYNTHESIZE__BLUEPRINTS_PER_ENVIRONMENT": "2",
        "EVALUATE__MAX_TASKS": "2",
        "EVALUATE__K": "1",
        "EVALUATE__MAX_TURNS": "2",
        "LLM__AGENT__MAX_TOKENS": "8",
    }.items():
        monkeypatch.setenv(f"ENVSCALE_{key}", value)
    import envscale.flows.pipeline as pipeline_mod

    report = pipeline_mod.pipeline()
    default = [s.name for s in STAGES if s.in_pipeline]
    assert "rl" not in default  # the RL stage is opt-in: `envscale train --stage rl`
    assert [row["stage"] for row in report] == default
    assert {row["stage"]: row["status"] for row in report} == dict.fromkeys(default, "completed"), report

    from envscale.warehouse import Warehouse

    wh = Warehouse(home.warehouse)
    counts = wh.counts()
    assert counts["tools"] == 62 and counts["environments"] >= 2
    assert counts["trajectories"] > 0 and counts["validations"] == counts["trajectories"]
    with wh.connect(read_only=True) as con:
        statuses = dict(
            con.execute("SELECT flow, count(*) FROM runs WHERE status = 'completed' GROUP BY flow").fetchall()
        )
        splits = {row[0] for row in con.execute("SELECT split FROM datasets").fetchall()}
    for flow in ("ingest", "build", "synthesize", "validate", "train"):
        assert statuses.get(flow, 0) >= 1, statuses
    assert "stage1" in splits

    import mlflow

    client = mlflow.MlflowClient()
    versions = client.search_model_versions("name='envscale-agent'")
    assert len(versions) == 1
    # Honest promotion: the champion alias follows the recorded decision, and a version that
    # solves nothing or does not beat the base model on the same tasks is rejected with its reason.
    tags = client.get_model_version("envscale-agent", versions[0].version).tags
    decision, reason = tags["envscale.promotion.decision"], tags["envscale.promotion.reason"]
    aliases = client.get_registered_model("envscale-agent").aliases
    if decision == "promoted":
        assert aliases.get("champion") == versions[0].version
    else:
        assert reason.split(":")[0] in {"nothing_solved", "no_gain_over_base"}, reason
        assert "champion" not in aliases


def _record_later_stages(monkeypatch) -> list[tuple[str, dict]]:
    """Stub build/synthesize/validate (each records its call); ingest stays the real flow."""
    from envscale.flows.registry import Stage

    calls: list[tuple[str, dict]] = []
    real_load = Stage.load

    def load(self):
        if self.name == "ingest":
            return real_load(self)

        def stage_flow(**kwargs):
            calls.append((self.name, kwargs))
            return {"stub": self.name}

        return stage_flow

    monkeypatch.setattr(Stage, "load", load)
    return calls


def test_nightly_with_a_missing_or_empty_watch_folder_builds_from_the_catalog(
    prefect_harness, home, monkeypatch, tmp_path
):
    import envscale.flows.pipeline as pipeline_mod

    calls = _record_later_stages(monkeypatch)
    empty = tmp_path / "empty"
    (empty / "notes").mkdir(parents=True)
    (empty / "README.txt").write_text("drop tool schemas here")
    for watch_dir in (str(tmp_path / "missing"), str(empty)):
        calls.clear()
        report = pipeline_mod.nightly_synthesis(watch_dir=watch_dir)
        status = {row["stage"]: row["status"] for row in report}
        assert status == {
            "ingest": "skipped",
            "build": "completed",
            "synthesize": "completed",
            "validate": "completed",
        }, report
        assert report[0]["detail"].startswith("nothing new")
        assert [name for name, _ in calls] == ["build", "synthesize", "validate"]


def test_nightly_ingests_the_watch_folder_when_it_has_tool_files(
    prefect_harness, home, monkeypatch, tmp_path
):
    import shutil

    import envscale.flows.pipeline as pipeline_mod
    from envscale.samples import sample_catalog_path
    from envscale.warehouse import Warehouse

    calls = _record_later_stages(monkeypatch)
    inbox = tmp_path / "inbox"
    sample = Path(sample_catalog_path())
    files = sorted(p for p in (sample.rglob("*") if sample.is_dir() else [sample]) if p.suffix == ".json")
    inbox.mkdir()
    shutil.copy(files[0], inbox / files[0].name)
    report = pipeline_mod.nightly_synthesis(watch_dir=str(inbox))
    assert [row["status"] for row in report] == ["completed"] * 4, report
    assert [name for name, _ in calls] == ["build", "synthesize", "validate"]
    assert Warehouse(home.warehouse).counts()["tools"] > 0
