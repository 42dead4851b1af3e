"""τ² telecom under test: the user acts on its own phone, env assertions and ACTION decide (τ²'s criteria)."""

from __future__ import annotations

from pathlib import Path

import pytest

from envscale.config import EndpointSettings
from envscale.environments.evaluation.run import evaluate_task_set
from envscale.environments.evaluation.tau2_tasks import import_tau2_tasks
from envscale.environments.synthesis.users import STOP
from tests.support import standin
from tests.support.oracle import GIVE_UP
from tests.support.tau2_fixture import write_telecom

SCRIPTED = EndpointSettings(mode="scripted")


@pytest.fixture
def task_set(tmp_path: Path):
    data = write_telecom(tmp_path / "domains")
    return import_tau2_tasks(data, tmp_path / "envs", ["telecom"], split=None, limit=10, seed=0)


def _agent(task_set, *, tell_user: bool = True, act: bool = True):
    """Plays the gold agent calls, then asks the user to run the gold user actions on its phone."""
    by_instruction = {t.task.instruction: t for t in task_set.tasks}

    def respond(request):
        messages = request["messages"]
        item = by_instruction[next(m for m in messages if m["role"] == "user")["content"]]
        calls = item.blueprint.calls if act else ()
        done = sum(1 for m in messages if m["role"] == "tool")
        if done < len(calls):
            return standin.tool_call(calls[done].name, calls[done].arguments)
        asked = any("on your phone" in str(m.get("content")) for m in messages if m["role"] == "assistant")
        if tell_user and item.user_actions and not asked:
            steps = ", then ".join(a["name"] for a in item.user_actions)
            return standin.text(f"Please do this on your phone: {steps}. Does it work now?")
        return standin.text("All done.")

    return respond


def _evaluate(task_set, responder, user=SCRIPTED, label="agent"):
    with standin.StandInServer(responder) as server:
        agent = EndpointSettings(base_url=server.base_url, model="agent", max_retries=0, timeout_s=10)
        return evaluate_task_set(task_set, agent=agent, user=user, k=1, seed=0, label=label)


def test_telecom_tasks_carry_the_user_side_and_tau2_criteria(task_set) -> None:
    assert len(task_set.tasks) == 3 and not task_set.skipped
    overdue = next(t for t in task_set.tasks if "no service" in t.task.instruction)
    assert all(t.user_state is not None and t.setup and t.env_assertions for t in task_set.tasks)
    assert all(not t.check_state for t in task_set.tasks)  # DB is not in telecom's reward basis
    assert [a["name"] for a in overdue.user_actions] == ["make_payment", "reboot_device"]
    assert [c.name for c in overdue.blueprint.calls] == ["send_payment_request", "resume_line"]
    assert len(overdue.gold_actions) == 4  # ACTION: both sides' gold actions
    assert overdue.system_prompt.startswith("<main_policy>") and "no service" in overdue.task.instruction


def test_an_agent_that_guides_the_user_passes_and_one_that_does_not_fails(task_set) -> None:
    report = _evaluate(task_set, _agent(task_set))
    assert report.overall.pass_1 == 1.0, [t.model_dump() for t in report.trials]
    assert all(t.env_assertions_ok for t in report.trials)
    quitter = _evaluate(task_set, lambda r: standin.text(GIVE_UP), label="quitter")
    assert quitter.overall.pass_1 == 0.0 and not any(t.env_assertions_ok for t in quitter.trials)
    # The agent's own calls alone do not fix a phone: the user must act on it.
    silent = _evaluate(task_set, _agent(task_set, tell_user=False), label="silent")
    assert silent.overall.pass_1 == 0.0
    by_task = {t.task_id: t for t in silent.trials}
    overdue = next(t for t in task_set.tasks if "no service" in t.task.instruction)
    assert by_task[overdue.task_id].actions_ok is False  # make_payment/reboot_device never called


def test_the_llm_user_calls_its_device_tools(task_set) -> None:
    seen_tools: list[set[str]] = []

    def user(request):
        seen_tools.append({t["function"]["name"] for t in request.get("tools") or []})
        messages = request["messages"]
        last = max(i for i, m in enumerate(messages) if m["role"] == "user")  # the agent's last message
        said = str(messages[last].get("content") or "")
        wanted = said.split("phone: ")[1].split(".")[0].split(", then ") if "on your phone" in said else []
        done = [c["function"]["name"] for m in messages[last:] for c in m.get("tool_calls") or []]
        todo = [n for n in wanted if n not in done]
        if todo:
            args = (
                {"app_name": "messaging", "permission": "storage"}
                if todo[0] == "grant_app_permission"
                else {}
            )
            return standin.tool_call(todo[0], args)
        return standin.text("Done, it works now." if wanted else STOP)

    with standin.StandInServer(user) as sim:
        llm_user = EndpointSettings(
            mode="llm", base_url=sim.base_url, model="user", max_retries=0, timeout_s=10
        )
        report = _evaluate(task_set, _agent(task_set), user=llm_user, label="llm-user")
    assert report.overall.pass_1 == 1.0, [t.model_dump() for t in report.trials]
    assert seen_tools and all("toggle_roaming" in s and "enable_roaming" not in s for s in seen_tools)
