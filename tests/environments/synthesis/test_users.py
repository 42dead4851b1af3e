"""User simulators: the scripted user answers value requests and stops on an answer; the LLM user falls back when broken."""

from __future__ import annotations

import asyncio

from envscale.config import EndpointSettings
from envscale.environments.synthesis.intents import template_task
from envscale.environments.synthesis.records import Blueprint, GoldCall
from envscale.environments.synthesis.users import STOP, LLMUser, ScriptedUser
from envscale.llm import LLMClient
from tests.support import standin as s

BLUEPRINT = Blueprint(
    blueprint_id="bp1",
    env_id="e1",
    calls=(
        GoldCall(name="cancel_order", arguments={"order_id": "o7", "reason": "late"}, kind="write", ok=True),
    ),
    read_only=False,
    gold_state_hash="h",
)
TASK = template_task(BLUEPRINT)


def test_scripted_user_answers_what_is_asked_then_stops():
    async def go():
        user = ScriptedUser(TASK, BLUEPRINT, max_repeats=1)
        opening = await user.open()
        asked = await user.reply("Could you give me the order ID and the reason?")
        vague = await user.reply("How can I help?")
        again = await user.reply("How can I help?")
        done = await user.reply("Your order is cancelled.")
        return opening, asked, vague, again, done

    opening, asked, vague, again, done = asyncio.run(go())
    assert opening == TASK.instruction
    assert asked.text == "The order id is o7, and the reason is late." and not asked.stop
    assert vague.text == f"As I said: {TASK.instruction}"
    assert again.stop and done.stop and done.text == STOP  # one repeat allowed, then it gives up


def test_llm_user_speaks_until_it_says_stop_and_falls_back_on_a_broken_reply():
    with s.StandInServer() as server:
        server.enqueue(s.text("It is o7."), s.text(f"Thanks! {STOP}"), s.text(""))

        async def go():
            async with LLMClient(EndpointSettings(base_url=server.base_url), backoff_base_s=0.01) as client:
                user = LLMUser(client, TASK, BLUEPRINT, seed=3)
                await user.open()
                turns = [
                    await user.reply("Which order?"),
                    await user.reply("Done."),
                    await user.reply("Reason?"),
                ]
                return user, turns

        user, (first, second, broken) = asyncio.run(go())
    assert (first.text, first.stop) == ("It is o7.", False)
    assert second.stop and second.text == STOP
    assert broken.text == "The reason is late." and broken.issue.startswith("user simulator reply unusable")
    assert server.requests[0]["messages"][0]["role"] == "system"
    assert [m["role"] for m in server.requests[0]["messages"][1:]] == ["assistant", "user"]  # roles flipped
    assert user.prompt_tokens > 0
