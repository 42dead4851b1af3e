"""What the Prefect UI shows: typed, described deployment parameters, flow-run tags, links, README names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from envscale.tasks.links import file_link, md_link, mlflow_run_link, stage_tags, tag_flow_run

REPO = Path(__file__).resolve().parents[2]


def _deployments() -> list[dict]:
    return yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]


def _flow(entrypoint: str):
    import importlib

    path, name = entrypoint.split(":")
    module = path.removesuffix(".py").replace("/", ".")
    return getattr(importlib.import_module(f"envscale.{module}"), name)


@pytest.mark.parametrize("deployment", _deployments(), ids=lambda d: d["name"])
def test_every_deployment_parameter_is_typed_and_described(deployment):
    from prefect.utilities.callables import parameter_schema

    flow = _flow(deployment["entrypoint"])
    props = parameter_schema(flow.fn).model_dump()["properties"]
    assert props, "a deployment without parameters cannot be adjusted from the UI"
    for name, prop in props.items():
        assert prop.get("description"), f"{name}: no description in the UI form"
        # anyOf [T, null] is what the UI showed as "Property is type None"
        assert "type" in prop and "anyOf" not in prop, f"{name}: {prop}"


def test_readme_names_deployments_as_prefect_spells_them():
    readme = (REPO / "README.md").read_text()
    for deployment in _deployments():
        flow_name = _flow(deployment["entrypoint"]).name
        assert f"`{flow_name}/{deployment['name']}`" in readme
    # the bare deployment name fails `prefect deployment run`; the README never suggests it
    assert not re.search(r"prefect deployment run (?!\S+/)", readme)


def test_links_are_markdown_with_the_ml_view(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVSCALE_MLFLOW_UI", "http://mlflow.example:5000/")
    assert md_link("a [b]", "http://x/y z") == "[a \\[b\\]](http://x/y%20z)"
    plot = tmp_path / "pass k.png"
    plot.write_bytes(b"png")
    assert file_link(plot) == f"[pass k.png]({plot.resolve().as_uri()})"
    link = mlflow_run_link("abcdef0123456789", "7")
    assert (
        link
        == "[MLflow run abcdef01](http://mlflow.example:5000/#/experiments/7/runs/abcdef0123456789?workflowType=machine_learning)"
    )
    assert stage_tags("train", env_ids_hash="f" * 64, model_version="envscale-agent/3") == [
        "stage:train",
        "envs:ffffffffffff",
        "model:envscale-agent/3",
    ]


def test_a_running_flow_gets_its_tags_and_keeps_its_own(prefect_harness):
    from prefect import flow, tags
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run

    @flow
    def tagged() -> tuple[str, list[str] | None]:
        return str(flow_run.id), tag_flow_run(stage_tags("evaluate", model_version="envscale-agent/2"))

    with tags("mine"):
        run_id, merged = tagged()
    with get_client(sync_client=True) as client:
        stored = client.read_flow_run(run_id).tags
    assert set(stored) == {"mine", "stage:evaluate", "model:envscale-agent/2"} and sorted(stored) == merged
    assert tag_flow_run(["outside"]) is None  # outside a flow run: nothing to tag
