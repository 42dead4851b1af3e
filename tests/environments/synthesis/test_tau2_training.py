"""An imported τ² domain as training data (issue 17 item 2): its own train tasks, never its test tasks."""

from __future__ import annotations

import json

import pytest

from envscale.config import LLMSettings, SynthesizeSettings
from envscale.environments.evaluation.tau2_tasks import tau2_training_tasks
from envscale.environments.imports.tau2 import import_tau2
from envscale.environments.imports.tau2_data import find_domains
from envscale.environments.store.environments import add_environment
from envscale.environments.synthesis import store
from envscale.environments.synthesis.run import synthesize_environments
from envscale.errors import InputError
from envscale.warehouse import open_warehouse
from tests.support.tau2_fixture import write_domain, write_telecom


def _import(home, folder):
    (domain,) = find_domains(folder)
    manifest = import_tau2(domain, home.environments)
    wh = open_warehouse(home.warehouse)
    add_environment(wh, manifest, manifest.db_path(home.environments), lineage_hash="t")
    return wh, manifest, domain


def test_reverse_synthesis_plays_the_train_split_once_with_the_policy_as_system_prompt(home, tmp_path):
    wh, manifest, domain = _import(home, write_domain(tmp_path / "d", "retail"))
    split = json.loads((domain.folder / "split_tasks.json").read_text())
    settings = SynthesizeSettings(mode="reverse", attempts_per_blueprint=1)

    report = synthesize_environments(
        wh, [manifest], home.environments, settings=settings, llm=LLMSettings(), run_id="r"
    )
    trajectories = store.load_trajectories(wh)
    played = sorted(t.blueprint_id.rsplit("-", 1)[1] for t in trajectories)
    assert played == sorted(split["train"]) and report.played == len(split["train"])
    assert not set(played) & set(split["test"])  # the test split stays evaluation data
    assert all(t.messages[0]["content"].endswith(domain.policy) for t in trajectories)  # policy.md
    # each trajectory makes the gold calls of its τ² task
    gold = {bp.blueprint_id: [c.name for c in bp.calls] for bp in store.load_blueprints(wh, manifest.env_id)}
    for t in trajectories:
        calls = [c["function"]["name"] for m in t.messages for c in m.get("tool_calls") or []]
        assert calls == gold[t.blueprint_id]

    again = synthesize_environments(
        wh, [manifest], home.environments, settings=settings, llm=LLMSettings(), run_id="r"
    )
    assert again.played == 0 and again.skipped_existing == len(split["train"])
    with wh.connect() as con:
        assert con.execute("SELECT count(*), count(DISTINCT blueprint_id) FROM blueprints").fetchone() == (
            len(split["train"]),
            len(split["train"]),
        )


def test_the_test_split_is_refused_and_a_dual_control_domain_is_left_out(home, tmp_path):
    wh, manifest, _ = _import(home, write_domain(tmp_path / "d", "retail"))
    with pytest.raises(InputError, match="evaluation data"):
        tau2_training_tasks(manifest, home.environments, split="test", limit=0, seed=0)

    wh, telecom, _ = _import(home, write_telecom(tmp_path / "t"))
    assert tau2_training_tasks(telecom, home.environments, split="train", limit=0, seed=0) is None
    report = synthesize_environments(
        wh,
        [telecom],
        home.environments,
        settings=SynthesizeSettings(mode="reverse"),
        llm=LLMSettings(),
        run_id="r",
    )
    assert report.played == 0 and report.drop_reasons == {
        "tau2_dual_control: tau2_telecom not synthesized": 1
    }
