"""Intents: the template names every required value; an LLM text missing one falls back to the template, marked."""

from __future__ import annotations

import asyncio

import pytest

from envscale.config import EndpointSettings
from envscale.environments.synthesis.intents import llm_task, make_task, template_instruction, template_task
from envscale.environments.synthesis.records import Blueprint, GoldCall
from envscale.llm import LLMClient
from tests.support import standin as s

BLUEPRINT = Blueprint(
    blueprint_id="bp1",
    env_id="e1",
    calls=(
        GoldCall(
            name="getOrder", arguments={"order_id": "o7"}, kind="read", ok=True, result={"customer_id": "c1"}
        ),
        GoldCall(name="cancel_order", arguments={"order_id": "o7", "reason": "late"}, kind="write", ok=True),
    ),
    read_only=False,
    gold_state_hash="h",
)


@pytest.fixture
def server():
    with s.StandInServer() as srv:
        yield srv


def test_template_names_each_call_and_its_values():
    assert template_instruction(BLUEPRINT) == (
        "I want to get order with order id o7. Then cancel order with order id o7, reason late."
    )
    task = template_task(BLUEPRINT)
    assert (task.writer, task.blueprint_id, task.env_id, task.fallback_reason) == (
        "template",
        "bp1",
        "e1",
        None,
    )


def test_task_ids_follow_the_instruction():
    a = make_task(BLUEPRINT, "Cancel o7, it is late.", "llm")
    assert a.task_id == make_task(BLUEPRINT, "Cancel o7, it is late.", "llm").task_id
    assert a.task_id != make_task(BLUEPRINT, "Cancel o7 (late).", "llm").task_id


def _llm_task(server):
    async def go():
        async with LLMClient(EndpointSettings(base_url=server.base_url), backoff_base_s=0.01) as client:
            return await llm_task(client, BLUEPRINT, seed=1)

    return asyncio.run(go())


def test_a_faithful_llm_text_is_kept(server):
    server.enqueue(s.text("  Please cancel my order o7, it arrived late.  "))
    task = _llm_task(server)
    assert (task.writer, task.instruction) == ("llm", "Please cancel my order o7, it arrived late.")
    brief = server.requests[0]["messages"][1]["content"]
    assert "cancel_order" in brief and "Values to state verbatim: o7, late" in brief


def test_a_text_missing_a_value_falls_back_to_the_template(server):
    server.enqueue(s.text("Please cancel my order, it arrived late."))
    task = _llm_task(server)
    assert task.writer == "template" and task.instruction == template_instruction(BLUEPRINT)
    assert task.fallback_reason == "missing_values: o7"


def test_an_empty_reply_falls_back_with_its_reason(server):
    server.enqueue(s.text(""))
    task = _llm_task(server)
    assert task.writer == "template" and task.fallback_reason.startswith("invalid_reply")
