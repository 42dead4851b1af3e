"""Business rules of generated environments: inferred, enforced by the runtime, stated, self-tested."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace as T

import pytest

from envscale.environments.builder import build_environment
from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.runtime import open_episode
from tests.support.tool_stubs import tool_stub


def _tool(name: str, props: dict, required: list[str], kind: str = "write") -> T:
    return tool_stub(name, props, required, kind, description=name.replace("_", " "))


S = {"type": "string"}
TOOLS = [
    _tool(
        "book_appointment",
        {"doctor_id": S, "patient_id": S, "date": {"type": "string", "format": "date"}, "time": S},
        ["doctor_id", "patient_id", "date", "time"],
    ),
    _tool("cancel_appointment", {"appointment_id": S}, ["appointment_id"]),
    _tool("complete_appointment", {"appointment_id": S}, ["appointment_id"]),
    _tool("get_appointment", {"appointment_id": S}, ["appointment_id"], "read"),
    _tool("get_doctor", {"doctor_id": S}, ["doctor_id"], "read"),
    _tool("get_patient", {"patient_id": S, "first_name": S}, ["patient_id"], "read"),
    _tool(
        "create_stay",
        {
            "guest_name": S,
            "check_in": {"type": "string", "format": "date"},
            "check_out": {"type": "string", "format": "date"},
            "total_price": {"type": "number"},
        },
        ["guest_name", "check_in", "check_out", "total_price"],
    ),
]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> tuple[EnvironmentManifest, Path]:
    d = tmp_path_factory.mktemp("envs")
    res = build_environment(TOOLS, name="clinic", environments_dir=d, seed=3)
    assert res.accepted
    return res.manifest, d


def test_rules_are_recorded_in_the_manifest(clinic):
    m, _ = clinic
    kinds = {(r.tool, r.kind) for r in m.rules}
    assert ("cancel_appointment", "state") in kinds
    assert ("book_appointment", "no_double_booking") in kinds
    assert ("create_stay", "non_negative") in kinds
    assert ("create_stay", "date_order") in kinds
    cancel = next(r for r in m.rules if r.tool == "cancel_appointment")
    assert "cancelled" in cancel.values and "cancelled" in cancel.description
    # round trip through the stored JSON
    again = EnvironmentManifest.read(m.manifest_path(clinic[1]))
    assert again.rules == m.rules and again.policy == m.policy


def test_rules_are_stated_in_tool_descriptions_and_policy(clinic):
    m, _ = clinic
    for rule in m.rules:
        assert rule.description in m.tool(rule.tool).description
        assert rule.description in m.policy
    assert m.policy.startswith("# clinic policy")
    prompt = m.system_prompt("BASE")
    assert prompt.startswith("BASE") and m.policy in prompt


def test_self_test_checked_refused_and_allowed_transitions(clinic):
    m, _ = clinic
    tests = {t.name: t for t in m.selftest.tools}
    assert tests["cancel_appointment"].ok and "state" in tests["cancel_appointment"].refused
    assert "no_double_booking" in tests["book_appointment"].refused
    assert {"non_negative", "date_order"} <= set(tests["create_stay"].refused)


def _rows(ep, table: str) -> list[dict]:
    return ep.query(f'SELECT * FROM "{table}" ORDER BY 1')


def test_cancel_twice_is_refused_with_state_unchanged(clinic):
    m, d = clinic
    with open_episode(m, directory=d) as ep:
        row = next(r for r in _rows(ep, "appointments") if r["status"] not in ("cancelled", "completed"))
        first = ep.call("cancel_appointment", {"appointment_id": row["appointment_id"]})
        assert first.ok
        before = ep.state_hash()
        again = ep.call("cancel_appointment", {"appointment_id": row["appointment_id"]})
        assert not again.ok and again.error_code == "precondition_failed"
        assert "cannot be cancelled" in again.error and row["appointment_id"] in again.error
        assert ep.state_hash() == before
        # a cancelled appointment cannot be completed either
        done = ep.call("complete_appointment", {"appointment_id": row["appointment_id"]})
        assert done.error_code == "precondition_failed" and ep.state_hash() == before


def test_double_booking_is_refused_and_other_slots_allowed(clinic):
    m, d = clinic
    with open_episode(m, directory=d) as ep:
        doctor = _rows(ep, "doctors")[0]["doctor_id"]
        patient = _rows(ep, "patients")[0]["patient_id"]
        slot = {"doctor_id": doctor, "patient_id": patient, "date": "2024-06-03", "time": "09:30"}
        assert ep.call("book_appointment", slot).ok
        before = ep.state_hash()
        clash = ep.call("book_appointment", slot)
        assert clash.error_code == "precondition_failed" and "already booked" in clash.error
        assert ep.state_hash() == before
        assert ep.call("book_appointment", {**slot, "time": "10:00"}).ok


def test_negative_amounts_and_reversed_ranges_are_refused(clinic):
    m, d = clinic
    ok = {"guest_name": "Ada Li", "check_in": "2024-06-01", "check_out": "2024-06-04", "total_price": 420.0}
    with open_episode(m, directory=d) as ep:
        before = ep.state_hash()
        neg = ep.call("create_stay", {**ok, "total_price": -5.0})
        assert neg.error_code == "precondition_failed" and "negative" in neg.error
        rev = ep.call("create_stay", {**ok, "check_in": "2024-06-04", "check_out": "2024-06-01"})
        assert rev.error_code == "precondition_failed" and "after" in rev.error
        same = ep.call("create_stay", {**ok, "check_out": "2024-06-01"})
        assert same.error_code == "precondition_failed"
        assert ep.state_hash() == before
        assert ep.call("create_stay", ok).ok


def test_imported_style_programs_without_rules_have_empty_policy_rules():
    from envscale.environments.programs.model import Precondition, ToolProgram

    p = ToolProgram(name="x", kind="read", preconditions=(Precondition(sql="SELECT 1", error="e"),))
    assert p.rules == ()


def test_the_policy_is_the_agents_system_prompt_in_synthesized_trajectories(home):
    from envscale.config import LLMSettings, SynthesizeSettings
    from envscale.environments.synthesis import store
    from envscale.environments.synthesis.run import synthesize_environments
    from envscale.warehouse import open_warehouse

    res = build_environment(TOOLS, name="clinic", environments_dir=home.environments, seed=3)
    m = res.manifest
    wh = open_warehouse(home.warehouse)
    settings = SynthesizeSettings(blueprints_per_environment=3, mode="reverse")
    report = synthesize_environments(
        wh, [m], home.environments, settings=settings, llm=LLMSettings(), run_id="r"
    )
    assert report.played >= 1
    trajectories = store.load_trajectories(wh)
    assert trajectories and all(m.policy in t.messages[0]["content"] for t in trajectories)
    assert all(t.messages[0]["role"] == "system" for t in trajectories)


def test_served_environments_take_the_policy(clinic):
    from envscale.environments.evaluation.tasks import TaskSet
    from envscale.environments.rl.served import ServedEnvironment

    m, d = clinic
    served = ServedEnvironment.from_task_set(TaskSet(envs={m.env_id: (m, m.db_path(d))}), m.env_id)
    assert m.policy in served.policy


def test_violating_arguments_build_refused_calls_for_refusal_tasks(clinic):
    from envscale.environments.arguments import violating_arguments

    m, d = clinic
    ok = {"guest_name": "Ada Li", "check_in": "2024-06-01", "check_out": "2024-06-04", "total_price": 420.0}
    with open_episode(m, directory=d) as ep:
        program = m.program("create_stay")
        for rule in program.rules:
            bad = violating_arguments(rule, program, m.db_schema, ep, ok)
            assert bad is not None and bad != ok
            before = ep.state_hash()
            assert ep.call("create_stay", bad).error_code == "precondition_failed"
            assert ep.state_hash() == before
        cancel = m.program("cancel_appointment")
        (rule,) = cancel.rules
        bad = violating_arguments(rule, cancel, m.db_schema, ep, {"appointment_id": "x"})
        if bad is not None:  # a seeded row in a refused status exists
            assert ep.call("cancel_appointment", bad).error_code == "precondition_failed"
