"""Reverse-mode wording: LLM final replies are checked; bad ones fall back to the template, marked."""

from __future__ import annotations

import json

import pytest

from envscale.config import EndpointSettings, LLMSettings, SynthesizeSettings
from envscale.environments.synthesis import store
from envscale.environments.synthesis.records import Blueprint, GoldCall
from envscale.environments.synthesis.run import needs_embedded, synthesize_environments
from envscale.environments.synthesis.sample_env import register_sample_env
from envscale.environments.synthesis.values import scalars
from envscale.environments.synthesis.wording import check_reply
from envscale.warehouse import open_warehouse
from tests.support import standin as s


def _bp(read_only: bool, result) -> Blueprint:
    return Blueprint(
        blueprint_id="bp",
        env_id="env",
        seed=0,
        calls=(
            GoldCall(
                name="get_order",
                arguments={"order_id": "O-1"},
                kind="read" if read_only else "write",
                ok=True,
                result=result,
            ),
        ),
        read_only=read_only,
        gold_state_hash="h",
        status="kept",
    )


@pytest.mark.parametrize(
    ("text", "read_only", "reason"),
    [
        ("", False, "empty"),
        ('<tool_call>{"name": "x"}</tool_call>', False, "tool call"),
        ('{"status": "shipped"}', False, "tool call"),
        ("x" * 900, False, "longer"),
        ("the order the order the order the order the order the order the order", False, "repeats"),
        ("Your order is on its way.", True, "none of the values"),
        ("Your order O-1 has status shipped.", True, None),
        ("I cancelled it for you.", False, None),
    ],
)
def test_check_reply(text, read_only, reason):
    got = check_reply(text, _bp(read_only, {"order_id": "O-1", "status": "shipped"}))
    assert (got is None) if reason is None else (reason in got)


def _faithful_reply(request):
    """Reports the values of the last result, as a good final reply does."""
    prompt = request["messages"][-1]["content"]
    results = json.loads(prompt.split("Results:\n", 1)[1])
    values = [str(v) for v in scalars(results[-1]["result"]) if not isinstance(v, bool)]
    return s.text("All set. Found: " + ", ".join(values[:6]), completion_tokens=9)


def test_reverse_mode_with_llm_wording_uses_checked_replies_and_marks_fallbacks(home):
    wh = open_warehouse(home.warehouse)
    manifest = register_sample_env(wh, home.environments)
    settings = SynthesizeSettings(blueprints_per_environment=6, mode="reverse", reverse_wording="llm")
    assert needs_embedded(LLMSettings(), settings) == ["agent"]
    with s.StandInServer(_faithful_reply) as srv:
        srv.enqueue(  # the first two requests get broken replies, whichever trajectories they belong to
            s.text("done done done done done done done done done done done done", completion_tokens=12),
            s.text("Your order O-1 has", finish_reason="length", completion_tokens=4),
        )
        llm = LLMSettings(agent=EndpointSettings(base_url=srv.base_url))
        report = synthesize_environments(
            wh, [manifest], home.environments, settings=settings, llm=llm, run_id="r"
        )
        prompts = [r["messages"][-1]["content"] for r in srv.requests]
    trajectories = store.load_trajectories(wh)
    assert report.played == len(trajectories) == 6 and len(prompts) == 6
    assert all("Customer request:" in p and "Results:" in p for p in prompts)
    fallbacks = [t for t in trajectories if any(i.code == "reverse_wording_fallback" for i in t.issues)]
    llm_written = [t for t in trajectories if t not in fallbacks]
    assert len(fallbacks) == 2 and len(llm_written) == 4
    assert report.wording_fallbacks == len(fallbacks)
    for t in llm_written:
        assert t.messages[-1]["content"].startswith("All set. Found:") and t.usage.completion_tokens == 9
    reasons = {t.issues[0].detail for t in fallbacks}
    assert reasons == {"reply repeats itself", "reply cut off at max_tokens"}
    for t in fallbacks:
        text = t.messages[-1]["content"]
        assert "done done" not in text and text != "Your order O-1 has"  # the template reply instead
        assert t.usage.invalid_replies == 1
    # The gold calls and the state are the blueprint's, whoever wrote the words.
    assert all(t.mode == "reverse" and t.termination == "reverse" for t in trajectories)
