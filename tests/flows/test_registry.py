from __future__ import annotations

import pytest

from envscale.flows.registry import STAGES, Stage, StageNotBuilt, stage


def test_stages_are_in_pipeline_order_and_all_built():
    assert [s.name for s in STAGES] == [
        "ingest",
        "build",
        "synthesize",
        "validate",
        "train",
        "rl",
        "evaluate",
        "promote",
    ]
    assert all(s.built for s in STAGES)


def test_an_unbuilt_stage_refuses_to_run_and_names_its_issue():
    with pytest.raises(StageNotBuilt, match=r"stage 'later' is not built yet \(issue #42"):
        Stage("later", 42, "something", None).load()


def test_loaded_stage_gets_the_configured_task_runner(monkeypatch):
    monkeypatch.setenv("ENVSCALE_SCALE__WORKERS", "3")
    flow = stage("ingest").load()
    assert type(flow.task_runner).__name__ == "ThreadPoolTaskRunner"
    assert flow.task_runner._max_workers == 3


@pytest.mark.parametrize("entry", [s for s in STAGES if s.built], ids=lambda s: s.name)
def test_every_built_stage_keeps_the_stage_contract(entry: Stage) -> None:
    # docs/EXTENDING.md, "A stage": a Prefect flow in envscale.flows, reachable from the CLI by its
    # name (or by the command it names: rl is `envscale train --stage rl`).
    from prefect import Flow
    from typer.main import get_command

    from envscale.cli import app

    module, _ = entry.entry.split(":")
    assert module.startswith("envscale.flows.")
    assert isinstance(entry.load(), Flow)
    assert (entry.command or entry.name) in get_command(app).commands
