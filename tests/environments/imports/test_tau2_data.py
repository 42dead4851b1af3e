"""τ² data folders: found from a domains folder or one domain folder, tasks typed with their splits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envscale.environments.imports.tau2_data import find_domains, load_tasks


def _domain(root: Path, name: str, *, db: str = "db.json", policy: str = "policy.md") -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / db).write_text("{}" if db.endswith("json") else "")
    (folder / policy).write_text(f"# {name} policy")
    tasks = [
        {
            "id": 0,
            "user_scenario": {
                "instructions": {"task_instructions": "cancel order #W1", "reason_for_call": "x"}
            },
            "evaluation_criteria": {
                "actions": [
                    {"action_id": "a", "name": "cancel_pending_order", "arguments": {"order_id": "#W1"}}
                ],
                "communicate_info": ["10.5"],
                "nl_assertions": ["the agent was polite"],
            },
        },
        {
            "id": "t1",
            "user_scenario": {"instructions": "toggle roaming"},
            "evaluation_criteria": {
                "actions": [{"name": "toggle_roaming", "requestor": "user", "arguments": {}}],
                "env_assertions": [{"env_type": "user", "func_name": "assert_mobile_data_status"}],
                "communicate_info": None,
                "reward_basis": ["ENV_ASSERTION"],
            },
        },
    ]
    (folder / "tasks.json").write_text(json.dumps(tasks))
    (folder / "split_tasks.json").write_text(
        json.dumps({"train": ["0"], "test": ["t1"], "base": ["0", "t1"]})
    )
    return folder


def test_a_domains_folder_yields_each_domain_and_its_policy(tmp_path: Path) -> None:
    _domain(tmp_path, "retail")
    _domain(tmp_path, "telecom", db="db.toml", policy="main_policy.md")
    (tmp_path / "not-a-domain").mkdir()
    domains = find_domains(tmp_path)
    assert [d.name for d in domains] == ["retail", "telecom"]
    assert domains[1].db_file.name == "db.toml" and domains[1].policy == "# telecom policy"
    assert [d.name for d in find_domains(tmp_path / "retail")] == ["retail"]


def test_tasks_keep_criteria_requestor_and_splits(tmp_path: Path) -> None:
    (domain,) = find_domains(_domain(tmp_path, "retail"))
    first, second = load_tasks(domain)
    assert first.task_id == "0" and first.splits == ("base", "train")
    assert "cancel order #W1" in first.instructions
    assert first.actions[0].arguments == {"order_id": "#W1"} and first.actions[0].requestor == "assistant"
    assert first.communicate_info == ("10.5",) and first.nl_assertions == ("the agent was polite",)
    assert second.actions[0].requestor == "user" and second.splits == ("base", "test")
    assert second.env_assertions[0]["func_name"] == "assert_mobile_data_status"
    assert second.reward_basis == ("ENV_ASSERTION",) and second.communicate_info == ()


def test_a_folder_without_domains_is_refused_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        find_domains(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such"):
        find_domains(tmp_path / "missing")


def test_the_imported_domain_registry_names_what_it_knows_and_checks_the_contract() -> None:
    from envscale.environments.imports.registry import domains_of, imported_domain
    from envscale.environments.imports.tau_bench import DOMAINS

    assert sorted(domains_of("tau-bench")) == sorted(DOMAINS)
    retail = imported_domain("tau-bench", "retail")
    assert retail.PROGRAMS and "orders" in retail.SCHEMA.table_names
    with pytest.raises(ValueError, match="unknown tau-bench domain 'telecom'"):
        imported_domain("tau-bench", "telecom")
